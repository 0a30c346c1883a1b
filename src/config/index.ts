/** Configuration: the composed schema, loading (file + env), migrations and the generated docs. */
export { buildConfigSchema, buildBaseSchema, CONFIG_VERSION, ROLES, systemConfigEnvironment, type AppConfig, type Role, type ConfigEnvironment } from './schema.js';
export { loadConfigFile, parseConfigObject, parseConfigText, type LoadedConfig, type LoadResult, type LoadFileOptions, type ParseOptions } from './load.js';
export { formatProblems, type ConfigProblem } from './errors.js';
export { ENV_OVERRIDES, applyEnvOverrides } from './env.js';
export { MIGRATIONS, migrateRaw, type Migration } from './migrate.js';
export { generateConfigDocs, replaceConfigDocs, DOCS_BEGIN, DOCS_END } from './docs.js';
export { generateConfigJsonSchema, configJsonSchemaText, CONFIG_SCHEMA_FILE } from './json-schema.js';
