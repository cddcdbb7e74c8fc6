import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  require_dist2 as require_dist
} from "./chunk-4FB4OSHL.js";
import "./chunk-QIE7EB24.js";
export default require_dist();
