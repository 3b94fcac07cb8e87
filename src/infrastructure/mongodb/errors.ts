import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { ReadStoreUnavailableError } from '../../ports/read-store-errors';

/** The port's error for a driver error that means "the server cannot be reached"; others pass unchanged. */
export function mapMongoError(error: unknown): unknown {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  ) {
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
