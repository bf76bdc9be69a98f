// Original file: proto/slmrouter/v1/worker.proto


/**
 * Request of Worker.GetInfo.
 */
export interface GetInfoRequest {
}

/**
 * Request of Worker.GetInfo.
 */
export interface GetInfoRequest__Output {
}
