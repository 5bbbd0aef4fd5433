-- Exact per-minute sums and counts of stock_prices, kept current by a statement-level trigger (it fires for
-- COPY and multi-row INSERT alike), so an average over a day reads ~1,440 rollup rows plus two partial
-- minutes instead of every tick. Stored rows are never updated or deleted; a retention job would have to
-- subtract what it deletes.
-- Idempotent: the table and its backfill are created once; the function and trigger are replaced.
DO $$
BEGIN
  IF to_regclass('stock_prices_minute') IS NULL THEN
    CREATE TABLE stock_prices_minute (
      stock_name VARCHAR(255) NOT NULL,
      minute TIMESTAMPTZ NOT NULL,
      sum NUMERIC NOT NULL,
      n BIGINT NOT NULL,
      PRIMARY KEY (stock_name, minute)
    );
    INSERT INTO stock_prices_minute (stock_name, minute, sum, n)
      SELECT stock_name, date_trunc('minute', timestamp), sum(price), count(*) FROM stock_prices GROUP BY 1, 2;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION stock_prices_minute_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stock_prices_minute (stock_name, minute, sum, n)
    SELECT stock_name, date_trunc('minute', timestamp), sum(price), count(*) FROM new_rows GROUP BY 1, 2
    ON CONFLICT (stock_name, minute) DO UPDATE SET sum = stock_prices_minute.sum + excluded.sum, n = stock_prices_minute.n + excluded.n;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER stock_prices_minute_add AFTER INSERT ON stock_prices
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stock_prices_minute_add();
