import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: WebhookStore {
    public func insertWebhook(_ webhook: Webhook) async throws {
        try await insertWebhooks([webhook])
    }

    public func insertWebhooks(_ webhooks: [Webhook]) async throws {
        let logger = self.logger
        let box = secretBox
        try await transaction { connection in
            for webhook in webhooks { try await Self.insert(webhook, box: box, connection, logger: logger) }
        }
    }

    static func insert(_ webhook: Webhook, box: SecretBox, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        let c = Columns(webhook, box: box)
        try await connection.query(
            """
            INSERT INTO webhooks (id, tenant_id, property_id, is_global, dialect, callback_url, event_mask, request_params,
                headers, is_active, send_data, protected, secrets, disabled_reason, retry_policy, failing_since, octo,
                receives_test_events, max_in_flight, rate_limit, created_at, updated_at)
            VALUES (\(webhook.id), \(webhook.tenantId), \(webhook.propertyId), \(webhook.isGlobal), \(c.dialect),
                \(c.sealed.callbackURL), \(c.mask), \(c.sealed.requestParams), \(c.sealed.headers), \(webhook.isActive),
                \(webhook.sendData), \(webhook.isProtected), \(c.sealed.secrets), \(webhook.disabledReason), \(c.retryPolicy),
                \(c.failingSince), \(c.octo), \(webhook.receivesTestEvents), \(webhook.limits.maxInFlight),
                \(webhook.limits.rateLimit), \(Timestamp.millis(webhook.createdAt)),
                \(Timestamp.millis(webhook.updatedAt)))
            """, logger: logger)
    }

    public func updateWebhook(_ webhook: Webhook) async throws {
        let c = Columns(webhook, box: secretBox)
        let rows = try await client.query(
            """
            UPDATE webhooks SET property_id = \(webhook.propertyId), is_global = \(webhook.isGlobal), dialect = \(c.dialect),
                callback_url = \(c.sealed.callbackURL), event_mask = \(c.mask), request_params = \(c.sealed.requestParams),
                headers = \(c.sealed.headers), is_active = \(webhook.isActive), send_data = \(webhook.sendData),
                protected = \(webhook.isProtected), secrets = \(c.sealed.secrets), disabled_reason = \(webhook.disabledReason),
                retry_policy = \(c.retryPolicy), failing_since = \(c.failingSince), octo = \(c.octo),
                receives_test_events = \(webhook.receivesTestEvents), max_in_flight = \(webhook.limits.maxInFlight),
                rate_limit = \(webhook.limits.rateLimit), updated_at = \(Timestamp.millis(webhook.updatedAt))
            WHERE id = \(webhook.id) RETURNING id
            """, logger: logger
        ).all { _ in 1 }
        if rows.isEmpty { throw StoreError.notFound }
        // The circuit is the dispatcher's to move; an update only closes it, on a revival.
        if webhook.isActive && webhook.circuit == .closed {
            try await client.query(
                """
                UPDATE webhooks SET circuit_failures = 0, circuit_opened_at = NULL, circuit_probe_at = NULL,
                    circuit_failed_probes = 0
                WHERE id = \(webhook.id) AND circuit_probe_at IS NOT NULL
                """, logger: logger)
        }
    }

    public func disableWebhook(id: UUID, reason: String, at date: Date) async throws -> (
        webhook: Webhook, disabled: Bool
    )? {
        let logger = self.logger
        let box = secretBox
        return try await transaction { connection in
            let disabled =
                try await connection.query(
                    """
                    UPDATE webhooks SET is_active = false, disabled_reason = \(reason), updated_at = \(Timestamp.millis(date))
                    WHERE id = \(id) AND is_active RETURNING id
                    """, logger: logger
                ).all { _ in 1 }.count > 0
            return try await connection.query("SELECT * FROM webhooks WHERE id = \(id)", logger: logger).all {
                try Webhook(postgres: $0, box: box)
            }.first.map { ($0, disabled) }
        }
    }

    public func webhook(id: UUID) async throws -> Webhook? {
        try await client.query("SELECT * FROM webhooks WHERE id = \(id)", logger: logger).all {
            try Webhook(postgres: $0, box: secretBox)
        }.first
    }

    public func webhookCount(tenantId: UUID) async throws -> Int {
        let counts = try await client.query(
            "SELECT COUNT(*) AS n FROM webhooks WHERE tenant_id = \(tenantId)", logger: logger
        ).all { try $0.value("n", as: Int64.self) }
        return Int(counts.first ?? 0)
    }

    public func deleteWebhook(id: UUID) async throws {
        let rows = try await client.query("DELETE FROM webhooks WHERE id = \(id) RETURNING id", logger: logger).all {
            _ in 1
        }
        if rows.isEmpty { throw StoreError.notFound }
    }

    public func listWebhooks(_ query: WebhookQuery) async throws -> Page<Webhook> {
        var statement = StatementBuilder()
        if let tenantId = query.tenantId { statement.conditions.append("tenant_id = \(try statement.bind(tenantId))") }
        if let scope = query.propertyScope {
            let global = query.includeGlobal ? " OR is_global" : ""
            statement.conditions.append("(property_id = ANY(\(try statement.bind(Array(scope))))\(global))")
        } else if !query.includeGlobal {
            statement.conditions.append("NOT is_global")
        }
        if let id = query.propertyId { statement.conditions.append("property_id = \(try statement.bind(id))") }
        if let active = query.isActive { statement.conditions.append("is_active = \(try statement.bind(active))") }
        if let global = query.isGlobal { statement.conditions.append("is_global = \(try statement.bind(global))") }
        if let dialect = query.dialect {
            statement.conditions.append("dialect = \(try statement.bind(dialect.rawValue))")
        }
        return try await fetchPage(
            of: "webhooks", statement, page: query.page, order: "created_at, id"
        ) { [secretBox] in
            try Webhook(postgres: $0, box: secretBox)
        }
    }

    public func sealingCensus() async throws -> SealingCensus {
        var census = SealingCensus()
        for (id, count) in try await client.query(PostgresQuery(unsafeSQL: SealingCensus.query), logger: logger).all({
            (try $0.value("key_id", as: String?.self), try $0.value("n", as: Int64.self))
        }) {
            if let id { census.sealed[id] = Int(count) } else { census.clear = Int(count) }
        }
        return census
    }

    public func resealWebhooks(
        after: UUID?, limit: Int, _ transform: @Sendable (UUID, SecretColumns) throws -> SecretColumns?
    ) async throws -> (written: Int, last: UUID?) {
        let logger = self.logger
        return try await transaction { connection in
            // The URL is the same once opened: matching need not hear of it (migration 0008), and
            // no tenant row is locked, so nothing waits on what a settle holds.
            try await connection.query("SET LOCAL herald.resealing = 'on'", logger: logger)
            // Rows another transaction holds are skipped, never waited for: a later pass takes them.
            // NO KEY: an ingest inserting deliveries that refer to a row (its key share) never waits.
            let range = after.map { "WHERE id > '\($0.text)'" } ?? ""
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id, callback_url, request_params, headers, secrets FROM webhooks \(range)
                        ORDER BY id LIMIT \(max(1, limit)) FOR NO KEY UPDATE SKIP LOCKED
                        """), logger: logger
            ).all { (try $0.value("id", as: UUID.self), try SecretColumns(postgres: $0)) }
            var written = 0
            for (id, columns) in rows {
                guard let sealed = try transform(id, columns) else { continue }
                try await connection.query(
                    """
                    UPDATE webhooks SET callback_url = \(sealed.callbackURL), request_params = \(sealed.requestParams),
                        headers = \(sealed.headers), secrets = \(sealed.secrets)
                    WHERE id = \(id)
                    """, logger: logger)
                written += 1
            }
            return (written, rows.last?.0)
        }
    }

    /// The stored forms of a webhook's non-scalar fields.
    struct Columns {
        var dialect: String
        var mask: String
        /// The URL, the request params, the headers and the signing secrets, sealed.
        var sealed: SecretColumns
        var retryPolicy: String?
        var failingSince: Int64?
        var octo: String?

        init(_ webhook: Webhook, box: SecretBox) {
            dialect = webhook.dialect.rawValue
            mask = webhook.eventMask.raw
            sealed = SecretColumns(webhook, box: box)
            retryPolicy = webhook.retryPolicy?.json.encodedString()
            failingSince = webhook.failingSince.map(Timestamp.millis)
            octo = webhook.octo?.json.encodedString()
        }
    }
}
