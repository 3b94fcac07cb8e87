import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb';
import { ReadStoreUnavailableError } from '../../ports/read-store-errors';

/**
 * Server error codes that mean "not now, try again": no writable primary (an election, a step-down),
 * a member shutting down, a network or time limit on the server's side. From the server's error_codes.yml.
 */
const TRANSIENT_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Whether a driver error means the server cannot serve now (unreachable, no primary, timed out). */
export function isUnavailable(error: unknown): error is MongoError {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoWriteConcernError // majority not reached in time: nothing is known to be durable
  )
    return true;
  if (error instanceof MongoServerError && typeof error.code === 'number' && TRANSIENT_SERVER_CODES.has(error.code))
    return true;
  return error instanceof MongoError && error.hasErrorLabel('TransientTransactionError');
}

/** The port's error for a driver error that means "the server cannot serve now"; others pass unchanged. */
export function mapMongoError(error: unknown): unknown {
  if (isUnavailable(error)) {
    return new ReadStoreUnavailableError(`MongoDB is unavailable: ${error.message}`, { cause: error });
  }
  return error;
}

/**
 * The same object, whose async methods reject with the port's errors instead of the driver's, so no
 * caller above the adapter sees a driver type.
 */
export function withPortErrors<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
        return result instanceof Promise
          ? result.catch((error: unknown) => Promise.reject(mapMongoError(error)))
          : result;
      };
    },
  });
}
