import { Arg, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { RequestContext } from '../app/context.js';
import { ReportKind } from './enums.js';

@ObjectType('ReportExport', { description: 'A signed, short-lived link to a CSV report' })
export class ReportExportType {
  @Field(() => String, { description: 'GET it without an Authorization header (the link is signed): absolute on PUBLIC_URL, root-relative otherwise' })
  url!: string;

  @Field(() => Date, { description: 'The link stops working at this instant (10 minutes after it was made)' })
  expiresAt!: Date;
}

@Resolver()
export class ExportResolver {
  @Mutation(() => ReportExportType, {
    description:
      'Admins only (staff: FORBIDDEN). A link to download one report of the tenant as CSV (RFC 4180, formula-safe), over [from, to): at most 366 days. The link re-checks that its admin still is one when used',
  })
  async exportReport(
    @Ctx() ctx: RequestContext,
    @Arg('kind', () => ReportKind) kind: ReportKind,
    @Arg('from', () => Date, { description: 'Rows at or after this instant (inclusive)' }) from: Date,
    @Arg('to', () => Date, { description: '… and before this one (exclusive)' }) to: Date,
  ): Promise<ReportExportType> {
    return Object.assign(new ReportExportType(), await ctx.exports.request({ kind, from, to }));
  }
}
