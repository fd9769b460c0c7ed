import { Field, ID, ObjectType } from 'type-graphql';
import type { User } from '../model/user.entity.js';
import { mayReadUserEmail } from '../shared/personal-data.js';
import type { Viewer } from '../shared/viewer.js';
import { UserRole } from './enums.js';

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  username!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => UserRole)
  role!: UserRole;

  @Field(() => String, { nullable: true, description: 'Visible to the user themself and to admins' })
  email!: string | null;

  static from(user: User, viewer: Viewer): UserType {
    const canSeeEmail = mayReadUserEmail(viewer, user.id);
    return Object.assign(new UserType(), {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: user.role,
      email: canSeeEmail ? user.email : null,
    });
  }
}
