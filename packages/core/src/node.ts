// Node-only helpers (files on disk). Browser code imports `@gradscope/core` alone.
export {};
