// The few column types that differ between engines; each engine folder supplies its own.
import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';

export interface ColumnTypes {
  /** Auto-incrementing primary key column type and its modifier. */
  id: { type: ColumnDataType; primaryKey: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder };
  /** 64-bit integers: epoch milliseconds and counters. */
  bigint: ColumnDataType;
  bytes: ColumnDataType;
}
