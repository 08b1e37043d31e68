-- 0002: the program. Organisations (the operator union and the county/district unions it
-- supervises), enterprises, suppliers and their certifications, products, the pairing and notice,
-- targets, purchases with every line's eligibility judgment, subsidy rules, batches (maker-checker)
-- and their items. Also: accounts that may never go negative (the bank account), checked by
-- post_entries under the book lock so that racing payments cannot overdraw the fund.

SET LOCAL search_path = relief, pg_catalog;

CREATE TABLE organisations (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   integer NOT NULL REFERENCES tenants,
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('operator', 'county_union', 'district_union')),
    parent_id   integer REFERENCES organisations,
    region      text,
    UNIQUE (tenant_id, code),
    CHECK ((kind = 'operator') = (parent_id IS NULL))
);

CREATE TABLE enterprises (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     integer NOT NULL REFERENCES tenants,
    credit_code   text NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    name          text NOT NULL CHECK (name <> ''),
    union_name    text NOT NULL CHECK (union_name <> ''),
    -- Where the union's subsidy is paid.
    bank_name     text,
    bank_account  text CHECK (bank_account ~ '^[0-9]{6,32}$'),
    dimension_id  integer NOT NULL UNIQUE REFERENCES dimension_values,
    UNIQUE (tenant_id, credit_code)
);

-- Member count and annual purchase target, per year.
CREATE TABLE enterprise_years (
    enterprise_id integer NOT NULL REFERENCES enterprises,
    year          integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    tenant_id     integer NOT NULL,
    members       integer NOT NULL CHECK (members >= 0),
    target_fen    bigint NOT NULL CHECK (target_fen >= 0),
    PRIMARY KEY (enterprise_id, year)
);

CREATE TABLE suppliers (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     integer NOT NULL REFERENCES tenants,
    credit_code   text NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    name          text NOT NULL CHECK (name <> ''),
    township      text NOT NULL CHECK (township <> ''),
    village       text,
    on_832        boolean NOT NULL DEFAULT false,
    dimension_id  integer NOT NULL UNIQUE REFERENCES dimension_values,
    UNIQUE (tenant_id, credit_code)
);

CREATE TABLE products (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        integer NOT NULL REFERENCES tenants,
    supplier_id      integer NOT NULL REFERENCES suppliers,
    code             text NOT NULL CHECK (code ~ '^[^|\r\n\\[:cntrl:]]{1,64}$'),
    name             text NOT NULL CHECK (name <> ''),
    spec             text,
    unit             text NOT NULL CHECK (unit <> ''),
    category         text NOT NULL CHECK (category <> ''),
    origin_township  text,
    -- Reference price band per unit, in 0.0001 yuan.
    price_min        bigint CHECK (price_min >= 0),
    price_max        bigint CHECK (price_max >= price_min),
    UNIQUE (tenant_id, code)
);

-- Certification of a supplier (product_id NULL) or of one product; a supplier can lose it.
CREATE TABLE certifications (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    integer NOT NULL REFERENCES tenants,
    supplier_id  integer NOT NULL REFERENCES suppliers,
    product_id   integer REFERENCES products,
    number       text NOT NULL CHECK (number <> ''),
    valid_from   date NOT NULL,
    valid_to     date CHECK (valid_to >= valid_from),
    UNIQUE NULLS NOT DISTINCT (tenant_id, supplier_id, product_id, number, valid_from)
);

-- The pairing and the notice: configuration, not code.
CREATE TABLE programs (
    id                     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id              integer NOT NULL REFERENCES tenants,
    code                   text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name                   text NOT NULL,
    operator_id            integer NOT NULL REFERENCES organisations,
    book_id                integer NOT NULL REFERENCES books,
    paired_county          text NOT NULL,
    notice_number          text NOT NULL,
    starts_on              date NOT NULL,
    ends_on                date NOT NULL CHECK (ends_on >= starts_on),
    townships              text[] NOT NULL,
    prohibited_categories  text[] NOT NULL DEFAULT '{现金,购物卡,储值卡,充值卡,礼品卡,代金券}',
    dimension_id           integer NOT NULL UNIQUE REFERENCES dimension_values,
    UNIQUE (tenant_id, code)
);

CREATE TABLE purchases (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       integer NOT NULL REFERENCES tenants,
    program_id      integer NOT NULL REFERENCES programs,
    purchase_key    text NOT NULL CHECK (length(purchase_key) BETWEEN 1 AND 100),
    enterprise_id   integer NOT NULL REFERENCES enterprises,
    supplier_id     integer NOT NULL REFERENCES suppliers,
    purchase_date   date NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('832平台', '专馆专区专柜', '直采', '消费券')),
    purpose         text NOT NULL CHECK (purpose IN ('节日慰问', '爱心消费', '食堂')),
    invoice_number  text NOT NULL CHECK (invoice_number ~ '^([0-9]{8}|[0-9]{20})$'),
    invoice_date    date NOT NULL,
    seller_tax_id   text NOT NULL,
    entry_id        bigint NOT NULL REFERENCES entries,
    created_by      text NOT NULL,
    UNIQUE (program_id, purchase_key)
);
CREATE INDEX purchases_by_invoice ON purchases (tenant_id, invoice_number);
CREATE INDEX purchases_by_enterprise ON purchases (enterprise_id, purchase_date);

CREATE TABLE purchase_lines (
    purchase_id   bigint NOT NULL REFERENCES purchases,
    line          smallint NOT NULL CHECK (line > 0),
    tenant_id     integer NOT NULL,
    product_id    integer NOT NULL REFERENCES products,
    quantity      numeric(14, 3) NOT NULL CHECK (quantity > 0),
    unit          text NOT NULL,
    unit_price    bigint NOT NULL CHECK (unit_price >= 0),  -- 0.0001 yuan
    amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
    eligible      boolean NOT NULL,
    reason_codes  text[] NOT NULL DEFAULT '{}',
    reasons       text NOT NULL DEFAULT '',
    PRIMARY KEY (purchase_id, line),
    CHECK (eligible = (cardinality(reason_codes) = 0)),
    -- The stated amount agrees with quantity × unit price within one fen.
    CHECK (abs(amount_fen::numeric - quantity * unit_price / 100) <= 1)
);

CREATE TABLE subsidy_rules (
    id                      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id               integer NOT NULL,
    program_id              integer NOT NULL REFERENCES programs,
    version                 integer NOT NULL CHECK (version > 0),
    rate_basis_points       integer NOT NULL CHECK (rate_basis_points BETWEEN 0 AND 10000),
    per_member_cap_fen      bigint NOT NULL CHECK (per_member_cap_fen >= 0),
    per_enterprise_cap_fen  bigint NOT NULL CHECK (per_enterprise_cap_fen >= 0),
    eligible_channels       text[] NOT NULL,
    effective_from          date NOT NULL,
    UNIQUE (program_id, version)
);

-- Maker-checker: whoever prepared a batch may not approve it, whatever path the approval takes.
CREATE TABLE subsidy_batches (
    id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      integer NOT NULL,
    program_id     integer NOT NULL REFERENCES programs,
    period         integer NOT NULL CHECK (period % 100 BETWEEN 1 AND 12),
    rule_id        integer NOT NULL REFERENCES subsidy_rules,
    status         text NOT NULL CHECK (status IN ('prepared', 'approved', 'paid')),
    prepared_by    text NOT NULL,
    prepared_at    timestamptz NOT NULL DEFAULT now(),
    approved_by    text,
    approved_at    timestamptz,
    paid_by        text,
    paid_at        timestamptz,
    CHECK (approved_by IS NULL OR approved_by <> prepared_by),
    CHECK ((status = 'prepared') = (approved_by IS NULL)),
    CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
    UNIQUE (program_id, period)
);

CREATE TABLE subsidy_items (
    batch_id           integer NOT NULL REFERENCES subsidy_batches,
    enterprise_id      integer NOT NULL REFERENCES enterprises,
    tenant_id          integer NOT NULL,
    amount_fen         bigint NOT NULL CHECK (amount_fen >= 0),
    working            jsonb NOT NULL,
    approval_entry_id  bigint REFERENCES entries,
    payment_entry_id   bigint REFERENCES entries,
    PRIMARY KEY (batch_id, enterprise_id)
);

-- Batch state changes only forward, and only through the functions below.
CREATE FUNCTION check_batch_transition() RETURNS trigger LANGUAGE plpgsql
SET search_path = relief, pg_catalog AS $$
BEGIN
    IF NOT ((OLD.status = 'prepared' AND NEW.status = 'approved') OR (OLD.status = 'approved' AND NEW.status = 'paid'))
       OR NEW.prepared_by <> OLD.prepared_by OR NEW.program_id <> OLD.program_id OR NEW.period <> OLD.period
       OR NEW.rule_id <> OLD.rule_id THEN
        RAISE EXCEPTION USING ERRCODE = 'RL050',
            MESSAGE = format('subsidy batch %s cannot go from %s to %s', OLD.id, OLD.status, NEW.status);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER subsidy_batches_forward BEFORE UPDATE ON subsidy_batches
    FOR EACH ROW EXECUTE FUNCTION check_batch_transition();
CREATE TRIGGER subsidy_batches_no_delete BEFORE DELETE ON subsidy_batches
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER purchases_append_only BEFORE UPDATE OR DELETE ON purchases
    FOR EACH ROW EXECUTE FUNCTION reject_change();
CREATE TRIGGER purchase_lines_append_only BEFORE UPDATE OR DELETE ON purchase_lines
    FOR EACH ROW EXECUTE FUNCTION reject_change();

-- Approval and payment as the acting user, read from the transaction setting relief.actor, so a
-- direct SQL call cannot claim to be someone else than the session says.
CREATE FUNCTION approve_subsidy_batch(p_batch integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = relief, pg_catalog AS $$
DECLARE
    actor text := nullif(current_setting('relief.actor', true), '');
    b subsidy_batches%ROWTYPE;
BEGIN
    IF actor IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'RL051', MESSAGE = 'relief.actor is not set for this transaction';
    END IF;
    SELECT * INTO b FROM subsidy_batches WHERE id = p_batch FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RL052', MESSAGE = format('no subsidy batch %s', p_batch);
    END IF;
    IF b.prepared_by = actor THEN
        RAISE EXCEPTION USING ERRCODE = 'RL053',
            MESSAGE = format('%s prepared batch %s and may not approve it (maker-checker)', actor, p_batch),
            HINT = 'a different finance approver must approve it';
    END IF;
    UPDATE subsidy_batches SET status = 'approved', approved_by = actor, approved_at = now() WHERE id = p_batch;
    -- The envelope: subsidies approved (508) never exceed the fund received (403).
    IF (SELECT coalesce(sum(ab.debit_fen - ab.credit_fen), 0) FROM account_balances ab JOIN accounts a ON a.id = ab.account_id
        JOIN programs pr ON pr.book_id = ab.book_id WHERE pr.id = b.program_id AND a.code = '508')
       > (SELECT coalesce(sum(ab.credit_fen - ab.debit_fen), 0) FROM account_balances ab JOIN accounts a ON a.id = ab.account_id
        JOIN programs pr ON pr.book_id = ab.book_id WHERE pr.id = b.program_id AND a.code = '403') THEN
        RAISE EXCEPTION USING ERRCODE = 'RL041',
            MESSAGE = format('approving batch %s would commit more subsidy than the fund has received', p_batch);
    END IF;
END
$$;

-- Only programs' configuration and master data are written by the application directly.
GRANT SELECT ON ALL TABLES IN SCHEMA relief TO relief_app, relief_auditor;
GRANT INSERT ON organisations, enterprises, enterprise_years, suppliers, products, certifications,
    programs, purchases, purchase_lines, subsidy_rules, subsidy_batches, subsidy_items TO relief_app;
GRANT UPDATE (name, union_name, bank_name, bank_account) ON enterprises TO relief_app;
GRANT UPDATE (members, target_fen) ON enterprise_years TO relief_app;
GRANT UPDATE (name, township, village, on_832) ON suppliers TO relief_app;
GRANT UPDATE (name, spec, unit, category, origin_township, price_min, price_max) ON products TO relief_app;
GRANT UPDATE (valid_to) ON certifications TO relief_app;
GRANT UPDATE (status, paid_by, paid_at) ON subsidy_batches TO relief_app;
GRANT UPDATE (approval_entry_id, payment_entry_id) ON subsidy_items TO relief_app;
REVOKE ALL ON FUNCTION approve_subsidy_batch(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approve_subsidy_batch(integer) TO relief_app;
