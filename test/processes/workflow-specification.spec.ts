// WorkflowSpecification: given / when / then on a workflow definition, no store.
import assert from 'node:assert/strict';
import { expect } from 'chai';
import { complete, schedule, send, WorkflowSpecification, type CommandRejected } from '../../src/processes/index.js';
import {
  ItemReserved,
  OrderPlaced,
  orderWorkflow,
  ReminderDue,
  ShipmentRequested,
  type Reserve,
} from './order-fixture.js';

const given = WorkflowSpecification.for(orderWorkflow);
const placed = OrderPlaced({ orderId: 'o', item: 'tea' });
const reserve = send('stock', 'stock-tea', { type: 'Reserve' as const, orderId: 'o', item: 'tea' });
const refused: CommandRejected<Reserve> = {
  type: 'CommandRejected',
  data: {
    target: 'stock',
    streamId: 'stock-tea',
    command: reserve.command,
    commandId: 'c',
    error: { name: 'E', message: 'm' },
  },
};

describe('processes: WorkflowSpecification', () => {
  it('checks the outputs decide returns, as returned (a schedule keeps its afterMs)', () => {
    given().when(placed).then(reserve);
    given()
      .when(OrderPlaced({ orderId: 'o', item: 'tea', remindAfterMs: 50 }))
      .then([schedule(ReminderDue({ orderId: 'o' }), { afterMs: 50 }), reserve]);
    given([placed])
      .when(ItemReserved({ orderId: 'o', item: 'tea' }))
      .then([{ type: 'append', streamId: 'shipping-o', events: [ShipmentRequested({ orderId: 'o' })] }, complete()]);
    expect(() => given().when(placed).then([])).to.throw(assert.AssertionError);
  });

  it('folds the given inputs through evolve, and knows an instance completed by them', () => {
    given([placed])
      .when(ReminderDue({ orderId: 'o' }))
      .thenNothingHappened();
    given([placed])
      .when(ReminderDue({ orderId: 'o' }))
      .thenState({ status: 'placed', item: 'tea', reminded: 1 });
    given([placed, refused])
      .when(ReminderDue({ orderId: 'o' }))
      .thenIgnored();
    expect(() =>
      given([placed, refused])
        .when(ReminderDue({ orderId: 'o' }))
        .thenNothingHappened(),
    ).to.throw(/the instance had completed/);
    expect(() =>
      given([placed])
        .when(ReminderDue({ orderId: 'o' }))
        .thenIgnored(),
    ).to.throw(/had not/);
  });

  it('checks what decide throws, and fails when it does not throw', () => {
    given()
      .when(OrderPlaced({ orderId: 'o', item: '' }))
      .thenThrows(/needs an item/);
    expect(() => given().when(placed).thenThrows()).to.throw(/expected decide to throw/);
  });
});
