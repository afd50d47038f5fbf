import Foundation
import HeraldCore
import PostgresNIO

/// The statements every event runs, prepared once per connection: as plain queries PostgreSQL
/// parsed and planned each one every time, which was most of its CPU under single-event ingest.
/// Those of claims and settles are in `PostgresStore+QueueStatements.swift`.
/// Their columns are named, never `*`: a prepared statement whose result columns change (another
/// process's migration) fails for the life of the connection.
enum Prepared {
    struct APIKeyByHash: PostgresPreparedStatement {
        static let sql = """
            SELECT id, tenant_id, role, property_ids, title, prefix, hash, created_at, last_used_at, revoked_at
            FROM api_keys WHERE hash = $1
            """
        var hash: String

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(hash)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> APIKey { try APIKey(postgres: row.makeRandomAccess()) }
    }

    struct PropertyById: PostgresPreparedStatement {
        static let sql = "SELECT id, tenant_id, title, created_at FROM properties WHERE id = $1"
        var id: UUID

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(id)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Property { try Property(postgres: row.makeRandomAccess()) }
    }

    /// A tenant's ingest facts: its demo flag and webhooks version, which of `propertyIds` are
    /// its, and which of `keyIds` are its live keys.
    struct TenantFacts: PostgresPreparedStatement {
        static let sql = """
            SELECT demo_mode, webhooks_version,
                ARRAY(SELECT id FROM properties WHERE tenant_id = $1 AND id = ANY($2::uuid[])),
                ARRAY(SELECT id FROM api_keys WHERE tenant_id = $1 AND id = ANY($3::uuid[]) AND revoked_at IS NULL)
            FROM tenants WHERE id = $1
            """
        var id: UUID
        var propertyIds: [UUID]
        var keyIds: [UUID]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(id)
            bindings.append(propertyIds)
            bindings.append(keyIds)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (
            demoMode: Bool, webhooksVersion: Int64, properties: [UUID], liveKeys: [UUID]
        ) {
            let (demoMode, version, properties, keys) = try row.decode((Bool, Int64, [UUID], [UUID]).self)
            return (demoMode, version, properties, keys)
        }
    }

    /// What one ingest writes besides entity states, in one statement (atomic on its own): its
    /// events, its deliveries and its deferred fan-outs, any number of each. Nullable columns
    /// travel as a value and a presence flag (arrays of optionals do not). The deliveries' and
    /// fan-outs' foreign keys are checked at the statement's end, when its events are in. Nothing
    /// in it may fail at the commit (no NOTIFY, no deferred constraint): see
    /// ``PostgresStore/client(url:maxConnections:)``.
    struct InsertIngest: PostgresPreparedStatement {
        static let sql = """
            WITH e AS (
                INSERT INTO events (id, tenant_id, property_id, name, user_id, payload, occurred_at, idempotency_key,
                    test, created_at, trace_parent)
                SELECT id, tenant_id, CASE WHEN has_property THEN property_id END, name,
                    CASE WHEN has_user THEN user_id END, payload, occurred_at, CASE WHEN has_key THEN key END, test,
                    created_at, NULLIF(trace_parent, '')
                FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::bool[], $5::text[], $6::text[], $7::bool[],
                    $8::text[], $9::bigint[], $10::text[], $11::bool[], $12::bool[], $13::bigint[], $14::text[])
                    AS e(id, tenant_id, property_id, has_property, name, user_id, has_user, payload, occurred_at, key,
                        has_key, test, created_at, trace_parent)
            ), d AS (
            \(InsertDeliveries.statement(from: 15))
            ), f AS (
                INSERT INTO fan_outs (event_id, part, tenant_id, targets, size, created_at)
                SELECT * FROM UNNEST($27::uuid[], $28::bigint[], $29::uuid[], $30::text[], $31::bigint[], $32::bigint[])
            )
            SELECT 1
            """
        var events: [Event]
        var deliveries: [Delivery]
        var fanOuts: [DeferredFanOut]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 32)
            bindings.append(events.map(\.id))
            bindings.append(events.map(\.tenantId))
            bindings.append(events.map { $0.propertyId ?? .zero })
            bindings.append(events.map { $0.propertyId != nil })
            bindings.append(events.map(\.name))
            bindings.append(events.map { $0.userId ?? "" })
            bindings.append(events.map { $0.userId != nil })
            bindings.append(events.map { $0.payload.encodedString() })
            bindings.append(events.map { Timestamp.millis($0.occurredAt) })
            bindings.append(events.map { $0.idempotencyKey ?? "" })
            bindings.append(events.map { $0.idempotencyKey != nil })
            bindings.append(events.map(\.isTest))
            bindings.append(events.map { Timestamp.millis($0.createdAt) })
            bindings.append(events.map { $0.traceParent ?? "" })
            InsertDeliveries.append(deliveries, to: &bindings)
            let parts = fanOuts.flatMap { fanOut in fanOut.parts.map { (fanOut: fanOut, part: $0) } }
            bindings.append(parts.map(\.fanOut.eventId))
            bindings.append(parts.map { Int64($0.part.number) })
            bindings.append(parts.map(\.fanOut.tenantId))
            bindings.append(parts.map { DeferredFanOut.text(of: $0.part.targets) })
            bindings.append(parts.map { Int64($0.part.targets.count) })
            bindings.append(parts.map { Timestamp.millis($0.fanOut.createdAt) })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Deliveries, any number in one statement.
    struct InsertDeliveries: PostgresPreparedStatement {
        static let sql = statement(from: 1)

        /// The statement, its 12 parameters numbered from `first` (as ``append(_:to:)`` binds them).
        static func statement(from first: Int) -> String {
            let types = [
                "text", "uuid", "uuid", "uuid", "text", "text", "bool", "text", "bigint", "bigint", "bool", "bigint",
            ]
            let arrays = types.enumerated().map { "$\(first + $0.offset)::\($0.element)[]" }.joined(separator: ", ")
            return """
                INSERT INTO deliveries (id, event_id, webhook_id, tenant_id, event_name, ari_filters, status, attempts,
                    next_attempt_at, created_at)
                SELECT id, event_id, webhook_id, tenant_id, event_name, CASE WHEN has_filters THEN filters END, status,
                    attempts, CASE WHEN has_due THEN due END, created_at
                FROM UNNEST(\(arrays))
                    AS d(id, event_id, webhook_id, tenant_id, event_name, filters, has_filters, status, attempts, due,
                        has_due, created_at)
                """
        }
        var deliveries: [Delivery]

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 12)
            Self.append(deliveries, to: &bindings)
            return bindings
        }

        /// The 12 arrays that carry `deliveries`.
        static func append(_ deliveries: [Delivery], to bindings: inout PostgresBindings) {
            bindings.append(deliveries.map(\.id))
            bindings.append(deliveries.map(\.eventId))
            bindings.append(deliveries.map(\.webhookId))
            bindings.append(deliveries.map(\.tenantId))
            bindings.append(deliveries.map(\.eventName))
            bindings.append(deliveries.map { $0.ariFiltersText ?? "" })
            bindings.append(deliveries.map { $0.ariFiltersText != nil })
            bindings.append(deliveries.map(\.status.rawValue))
            bindings.append(deliveries.map { Int64($0.attempts) })
            bindings.append(deliveries.map { $0.nextAttemptAt.map(Timestamp.millis) ?? 0 })
            bindings.append(deliveries.map { $0.nextAttemptAt != nil })
            bindings.append(deliveries.map { Timestamp.millis($0.createdAt) })
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}

extension UUID {
    /// The all-zero id: a stand-in where an array cannot carry nil, and the start of id order.
    static let zero = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
}

extension PostgresClient {
    /// The rows of a prepared statement.
    func all<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row]
    {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

extension PostgresConnection {
    /// The rows of a prepared statement.
    func all<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
        -> [Statement.Row]
    {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
