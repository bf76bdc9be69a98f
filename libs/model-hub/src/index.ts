export { HubClient, type HubClientOptions, type HubModelInfo, type OpenedFile, type RetryEvent } from './hub-client';
export { HubError, HubErrorCode } from './hub.errors';
export { downloadFile, type DownloadedFile, type FileDownloadRequest, type FileProgress } from './file-downloader';
export { DEFAULT_DTYPE, DEFAULT_WORKER_MODELS, MODEL_ALIASES, knownLicenceOf, resolveRepoId, type LicenceNotice } from './known-models';
export { MANIFEST_FILE, readManifest, writeManifest, type ModelManifest } from './model-manifest';
export { dtypeOfOnnxPath, dtypesInListing, onnxPathOfDtype, selectWorkerFiles, type HubTreeEntry } from './model-files';
export { licenceOf, modelFolderOf, pullModel, type PullEvent, type PullOptions, type PullResult } from './model-puller';
export { SYNTHETIC_CONFIG_KEY, listLocalModels, workerAssignments, type LocalModel, type WorkerAssignment } from './model-inventory';
export { SYNTHETIC_MODEL_FOLDER, resolveWorkerModel, type WorkerModelResolution, type WorkerModelSetting } from './model-resolution';
