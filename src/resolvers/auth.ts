import { AuthenticationError, type AuthChecker } from 'type-graphql';
import { unauthenticatedMessage } from '../access/api-key-service';
import type { GraphQLContext, Role } from './context';

/** `@Authorized('ADMIN')` needs an admin; `@Authorized()` any known caller. Admins may do what viewers do. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  // An unknown caller is told to authenticate, not that the role is missing.
  if (context.role === null) throw new AuthenticationError(unauthenticatedMessage(context));
  if (roles.length === 0) return true;
  return roles.includes(context.role) || context.role === 'ADMIN';
};
