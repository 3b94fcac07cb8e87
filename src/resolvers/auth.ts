import type { AuthChecker } from 'type-graphql';
import type { GraphQLContext, Role } from './context';

/** `@Authorized('ADMIN')` needs an admin; `@Authorized()` any known caller. Admins may do what viewers do. */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context }, roles) => {
  if (context.role === null) return false;
  if (roles.length === 0) return true;
  return roles.includes(context.role) || context.role === 'ADMIN';
};
