-- Volume travels in the JSON wire format; keep it when a producer sends it.
ALTER TABLE stock_prices ADD COLUMN IF NOT EXISTS volume BIGINT;
