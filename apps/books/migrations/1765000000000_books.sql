-- Up Migration

-- The books, keyed by their ISBN-10 written as a number (ten digits, no leading zero: what the
-- API accepts as an id), with who wrote each one last and when. The check constraints repeat the
-- API's own rules, so that no other writer can store what the API would refuse to serve.
CREATE TABLE books (
  id          bigint      PRIMARY KEY CHECK (id BETWEEN 1000000000 AND 9999999999),
  title       text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
  created_by  text        NOT NULL CHECK (char_length(created_by) BETWEEN 1 AND 256),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text        NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 256),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The catalogue the API served from memory before it had a database: the tutorial's two books
-- first, then a few more real ones. Inserted once, by this migration; afterwards they are books
-- like any other.
INSERT INTO books (id, title, created_by, updated_by) VALUES
  (1788395549, 'Learning Node.js Development', 'seed', 'seed'),
  (1788620216, 'Hands-On Microservices with Node.js', 'seed', 'seed'),
  (1839214112, 'Node.js Design Patterns, Third Edition', 'seed', 'seed'),
  (1491950358, 'Building Microservices', 'seed', 'seed'),
  (1449373321, 'Designing Data-Intensive Applications', 'seed', 'seed'),
  (1593279507, 'Eloquent JavaScript, Third Edition', 'seed', 'seed');

-- Down Migration

DROP TABLE books;
