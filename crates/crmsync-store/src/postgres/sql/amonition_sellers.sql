-- AMONITION's seller aggregation: one row per seller, folded from the marketplace snapshot tables
-- `marketplace_sellers` and `marketplace_listings`. A site whose snapshot looks different replaces this query
-- (`[sellers] query_file`), keeping its parameter and its columns:
--   $1 text: NULL → every seller with at least one listing; a seller id → that user, even without listings.
--   Columns: seller_id, phone, email, name, sale_address, first_visit_at, first_listing_at, total, active,
--   moderation, rejected, archived, blocked (bigint), autoload, form, used, new (bool), categories (text[]).
-- Rows must come in seller_id order.
SELECT s.id AS seller_id,
       s.phone,
       s.email,
       s.name,
       s.sale_address,
       s.first_visit_at,
       min(l.created_at) AS first_listing_at,
       count(l.id) AS total,
       count(l.id) FILTER (WHERE l.status = 'active') AS active,
       count(l.id) FILTER (WHERE l.status = 'moderation') AS moderation,
       count(l.id) FILTER (WHERE l.status = 'rejected') AS rejected,
       count(l.id) FILTER (WHERE l.status = 'archived') AS archived,
       count(l.id) FILTER (WHERE l.status = 'blocked') AS blocked,
       coalesce(bool_or(l.source = 'autoload'), false) AS autoload,
       coalesce(bool_or(l.source = 'form'), false) AS form,
       coalesce(bool_or(l.condition = 'used'), false) AS used,
       coalesce(bool_or(l.condition = 'new'), false) AS new,
       coalesce(array_agg(DISTINCT l.category ORDER BY l.category)
                FILTER (WHERE l.category IS NOT NULL AND btrim(l.category) <> ''), '{}') AS categories
FROM marketplace_sellers s
LEFT JOIN marketplace_listings l ON l.seller_id = s.id
WHERE $1::text IS NULL OR s.id = $1::text
GROUP BY s.id
HAVING $1::text IS NOT NULL OR count(l.id) > 0
ORDER BY s.id
