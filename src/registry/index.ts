/** Public API of the registry client. */
export * from "./types.js";
export {
  RegistryClient,
  baseUrlFor,
  registryKey,
  type RegistryClientOptions,
  type RegistrySettings,
  type TimestampApi,
} from "./client.js";
export { parseWwwAuthenticate, pickChallenge, type Challenge } from "./challenge.js";
export {
  resolveCredential,
  runCredentialHelper,
  dockerConfigKey,
  DOCKER_HUB_CONFIG_KEY,
  type Credential,
  type CredentialOptions,
  type ExplicitCredentials,
} from "./credentials.js";
export {
  dockerConfigDir,
  parseDockerConfig,
  readDockerConfig,
  type DockerAuthEntry,
  type DockerConfig,
  type DockerConfigFile,
  type DockerConfigProblem,
} from "./docker-config.js";
export { DEFAULT_RETRY, type RetryPolicy, type RequestKind } from "./http.js";
export { MANIFEST_ACCEPT, MEDIA_TYPES } from "./manifest.js";
export { CREATED_ANNOTATION, parsePlatform, type Platform } from "./build-time.js";
export { RegistryCache, defaultCachePath, tagListHash } from "./cache.js";
export { parseNextLink, MAX_PAGE_SIZE } from "./tag-list.js";
