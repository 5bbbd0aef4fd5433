-- Seed-compatible schema: stock prices and the metrics table Vector writes into.
-- Idempotent: applied by every Tickwatch service at start-up and by the compose PostgreSQL's initdb.
CREATE TABLE IF NOT EXISTS stock_prices (
    timestamp TIMESTAMPTZ NOT NULL,
    stock_name VARCHAR(255) NOT NULL,
    exchange_name VARCHAR(255) NOT NULL,
    price NUMERIC NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_stock_prices_ts_name ON stock_prices (stock_name, timestamp DESC);

CREATE TABLE IF NOT EXISTS metrics (
    timestamp timestamptz NOT NULL,
    service text,
    event text,
    metric text,
    value double precision,
    unit text
);
CREATE INDEX IF NOT EXISTS idx_metrics_metric_ts ON metrics (metric, timestamp);
