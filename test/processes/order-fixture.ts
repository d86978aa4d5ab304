// A small workflow for the tests: an order reserves its item from stock,
// reminds itself after a while, and asks for shipping once reserved.
import { z } from 'zod';
import { commandHandler, type Decider } from '../../src/aggregates/index.js';
import { defineEvent, type EventOf, type EventStore } from '../../src/eventstore/index.js';
import {
  append,
  complete,
  schedule,
  send,
  workflow,
  workflowEvents,
  type WorkflowInput,
} from '../../src/processes/index.js';

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  z.object({ orderId: z.string(), item: z.string(), remindAfterMs: z.number().optional() }),
);
export const ItemReserved = defineEvent('ItemReserved', z.object({ orderId: z.string(), item: z.string() }));
export const ShipmentRequested = defineEvent('ShipmentRequested', z.object({ orderId: z.string() }));
export const ReminderDue = defineEvent('ReminderDue', z.object({ orderId: z.string() }));

export const orderEvents = [OrderPlaced, ItemReserved, ShipmentRequested, ReminderDue, ...workflowEvents] as const;
export type OrderEvent = EventOf<typeof OrderPlaced> | EventOf<typeof ItemReserved> | EventOf<typeof ReminderDue>;

export type Reserve = { type: 'Reserve'; orderId: string; item: string };
export class OutOfStock extends Error {
  override name = 'OutOfStock';
}

/** Stock of one item: every reservation succeeds, except of 'unobtainium'. */
const stock: Decider<{ reserved: number }, Reserve, EventOf<typeof ItemReserved>> = {
  initialState: () => ({ reserved: 0 }),
  evolve: (s) => ({ reserved: s.reserved + 1 }),
  decide(command) {
    if (command.item === 'unobtainium') throw new OutOfStock(`no ${command.item} left`);
    return ItemReserved({ orderId: command.orderId, item: command.item });
  },
};

// Any store of the test's events.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stockHandler = (store: EventStore<any>) => commandHandler(stock, store);

export type OrderState = {
  status: 'none' | 'placed' | 'reserved' | 'refused';
  item?: string;
  reminded: number;
};

type Input = WorkflowInput<OrderEvent, Reserve>;

export const orderWorkflow = workflow<OrderEvent, OrderState, Reserve>({
  name: 'order',
  inputs: [OrderPlaced, ItemReserved],
  outputs: ['stock'],
  initialState: () => ({ status: 'none', reminded: 0 }),
  getWorkflowId: (input) => input.data.orderId,
  decide(input: Input, state: OrderState) {
    switch (input.type) {
      case 'OrderPlaced': {
        if (input.data.item === '') throw new Error('an order needs an item');
        const { orderId, item, remindAfterMs } = input.data;
        const reserve = send('stock', `stock-${item}`, { type: 'Reserve' as const, orderId, item });
        if (remindAfterMs === undefined) return reserve;
        return [schedule(ReminderDue({ orderId }), { afterMs: remindAfterMs }), reserve];
      }
      case 'ItemReserved':
        return state.status === 'placed'
          ? [append(`shipping-${input.data.orderId}`, ShipmentRequested({ orderId: input.data.orderId })), complete()]
          : [];
      case 'ReminderDue':
        return [];
      case 'CommandRejected':
        return complete();
    }
  },
  evolve(state: OrderState, input: Input): OrderState {
    switch (input.type) {
      case 'OrderPlaced':
        return { ...state, status: 'placed', item: input.data.item };
      case 'ItemReserved':
        return { ...state, status: 'reserved' };
      case 'ReminderDue':
        return { ...state, reminded: state.reminded + 1 };
      case 'CommandRejected':
        return { ...state, status: 'refused' };
    }
  },
});
