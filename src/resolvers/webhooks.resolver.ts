import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { INVOICE_STREAM_PREFIX, type InvoicingEvent } from '../domain/accounts/events';
import type { EventStore } from '../ports/event-store';
import { evolveIssued } from '../projections/accounts/projection';
import type { IssuedDocument } from '../ports/accounts-read-model';
import { issuedDto } from './accounts-dto';
import type { GraphQLContext } from './context';
import { IssuedInvoiceType } from './types/accounts.types';
import { WebhookDeliveryType, WebhookRegistrationType, WebhookType } from './types/webhook.types';
import { pageSize } from './arguments';

/**
 * Invoices and credit notes issued after a log position (from now on without one), read from the log,
 * so any instance serves it. An iterator of its own rather than an async generator: graphql-ws calls
 * `return()` when the client completes or goes away, and a generator waiting for the next event would
 * hold that call (and the subscription's poller) until an invoice came; here it closes the subscription
 * at once, which ends a pending wait.
 */
export function watchIssued(eventStore: EventStore, after: string | null): AsyncIterableIterator<IssuedDocument> {
  let closed = false;
  const opened = (async () => {
    const head = after ?? (await eventStore.headPosition({ streamPrefixes: [INVOICE_STREAM_PREFIX] }));
    const subscription = eventStore.subscribeToAll({
      ...(head === null ? {} : { after: head }),
      streamPrefixes: [INVOICE_STREAM_PREFIX],
    });
    if (closed) await subscription.close(); // completed while the head was being read
    return { subscription, events: subscription[Symbol.asyncIterator]() };
  })();
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

  const iterator: AsyncIterableIterator<IssuedDocument> = {
    [Symbol.asyncIterator]: () => iterator,
    async next(): Promise<IteratorResult<IssuedDocument>> {
      const { events } = await opened;
      while (!closed) {
        const step = await events.next();
        if (step.done === true) return done;
        const recorded = step.value;
        if (recorded.type !== 'InvoiceIssued' && recorded.type !== 'CreditNoteIssued') continue;
        const event = { type: recorded.type, data: recorded.data } as InvoicingEvent;
        const [doc] = evolveIssued(event, recorded.position, () => undefined);
        if (doc !== undefined) return { done: false, value: doc };
      }
      return done;
    },
    async return(): Promise<IteratorReturnResult<undefined>> {
      closed = true;
      await (await opened).subscription.close();
      return done;
    },
  };
  return iterator;
}

@Resolver()
export class WebhooksResolver {
  @Authorized('ADMIN')
  @Mutation(() => WebhookRegistrationType, {
    description:
      'Registers an http(s) URL to receive a signed POST for each invoice (InvoiceIssued) and credit note (CreditNoteIssued) issued from now on; all events when none are named. Answers the signing secret once.',
  })
  async registerWebhook(
    @Arg('url', () => String) url: string,
    @Arg('events', () => [String], { nullable: true }) events: string[] | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<WebhookRegistrationType> {
    const registered = await context.services.webhooks.register(url, events ?? null);
    return {
      id: registered.webhookId,
      url: registered.url,
      events: registered.events,
      registeredAt: registered.registeredAt,
      secret: registered.secret,
    };
  }

  @Authorized('ADMIN')
  @Mutation(() => Boolean, { description: 'Stops deliveries to a webhook; false when there is none with that id.' })
  removeWebhook(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    return context.services.webhooks.remove(id);
  }

  @Authorized('ADMIN')
  @Query(() => [WebhookType])
  async webhooks(@Ctx() context: GraphQLContext): Promise<WebhookType[]> {
    return (await context.services.webhooks.list()).map((w) => ({
      id: w.webhookId,
      url: w.url,
      events: w.events,
      registeredAt: w.registeredAt,
    }));
  }

  @Authorized('ADMIN')
  @Query(() => [WebhookDeliveryType], {
    description:
      "A webhook's delivery log: pending deliveries first (when asked of the projector), then outcomes, newest first.",
  })
  webhookDeliveries(
    @Arg('webhook', () => ID) webhook: string,
    @Arg('first', () => Int, { nullable: true }) first: number | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<WebhookDeliveryType[]> {
    return context.services.webhooks.deliveries(webhook, pageSize(first));
  }

  @Authorized()
  @Subscription(() => IssuedInvoiceType, {
    description:
      'Each invoice and credit note as it is issued: after the log position `after` (one a mutation answered), or from now on.',
    subscribe: ({ args, context }) => {
      const { services } = context as GraphQLContext;
      const after = (args as { after?: string | null }).after ?? null;
      if (after !== null) services.eventStore.comparePositions(after, after); // refuses what is not a position
      return watchIssued(services.eventStore, after);
    },
  })
  invoiceIssued(
    @Arg('after', () => String, { nullable: true }) _after: string | null | undefined,
    @Root() doc: IssuedDocument,
  ): IssuedInvoiceType {
    return issuedDto(doc);
  }
}
