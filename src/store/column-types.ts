// The few column types that differ between engines; each engine folder supplies its own.
import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';

export interface ColumnTypes {
  /** Auto-incrementing primary key column type and its modifier. */
  id: { type: ColumnDataType; primaryKey: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder };
  /** 64-bit integers: epoch milliseconds and counters. */
  bigint: ColumnDataType;
  bytes: ColumnDataType;
  /**
   * The engine, for the rare step that differs in more than a type: SQLite cannot drop a column's UNIQUE
   * constraint, so a migration that drops one rebuilds the table there (0003).
   */
  engine: 'sqlite' | 'postgres';
}
