// TypeScript 6 no longer loads every @types package by default (`types` defaults to []), and tsconfig.json
// does not list "node", so Buffer, node:dgram and node:crypto would be unknown. This reference loads
// @types/node for the program. Remove it once tsconfig.json says `"types": ["node"]`.
/// <reference types="node" />
