/** "Did you mean …?" for scenario files: the shared helpers of profiles/model/suggest.ts. */
export { closest, editDistance, suggestion } from '../../profiles/model/suggest.ts';
