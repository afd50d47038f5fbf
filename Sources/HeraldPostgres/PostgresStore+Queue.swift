import Foundation
import HeraldCore
import PostgresNIO

extension PostgresStore: DeliveryQueue {
    public func claim(_ request: ClaimRequest) async throws -> Claim {
        let now = Timestamp.millis(request.now)
        let until = Timestamp.millis(request.now.addingTimeInterval(request.lease))
        let logger = self.logger
        let box = secretBox
        let (claimed, wakeAt) = try await transaction { connection -> ([Prepared.LeaseDue.Row], Date?) in
            // Claims take turns across processes: each counts what the others have in flight, so
            // in-flight limits and rate-limit slots hold for the whole cluster. No transaction
            // stays open while the deliveries are sent. The turn is taken with a window of the
            // endpoints with pending rows, from where the last claim stopped (wrapping round),
            // found by skipping through the pending index, one seek per endpoint: a claim costs
            // the same with ten thousand endpoints waiting as with ten, and with a long backlog as
            // with a short one.
            let start = claimWindow.start()
            /// Up to `limit` endpoint ids after `after`, and when the earliest work not yet due falls due.
            func look(after: UUID, limit: Int) async throws -> (hooks: [UUID], later: Int64?) {
                try await connection.all(Prepared.ClaimWindow(after: after, limit: limit, now: now), logger: logger)
                    .first ?? ([], nil)
            }
            let first = try await look(after: UUID(text: start) ?? .zero, limit: claimWindow.size)
            let read = first.hooks.map(\.text)
            var wrapped: (hooks: [UUID], later: Int64?) = ([], nil)
            if let remainder = claimWindow.remainder(after: start, read: read) {
                wrapped = try await look(after: .zero, limit: remainder)
            }
            let window = claimWindow.finish(start: start, read: read, fromBeginning: wrapped.hooks.map(\.text))
                .compactMap(UUID.init(text:))
            let backlog = try await connection.all(
                Prepared.Backlog(window: window, now: now, cap: EndpointLimits.maxInFlightRange.upperBound),
                logger: logger)
            let plan = FairClaim.plan(
                backlog, load: request.load, limit: request.limit, now: Timestamp.date(millis: now))
            // Webhooks before their deliveries, in id order, as a settle and a delete take them.
            for (webhookId, date) in plan.nextSendAt.sorted(by: { $0.key.text < $1.key.text }) {
                try await connection.query(
                    "UPDATE webhooks SET next_send_at = \(Timestamp.millis(date)) WHERE id = \(webhookId)",
                    logger: logger)
            }
            var claimed: [Prepared.LeaseDue.Row] = []
            if !plan.quotas.isEmpty {
                claimed = try await connection.all(
                    Prepared.LeaseDue(
                        owner: request.owner, until: until, quotas: plan.quotas.map { ($0.key, $0.value) }, now: now,
                        box: box),
                    logger: logger)
            }
            // Due work may lie beyond the window: look there at once.
            let again = claimWindow.claimAgain(tookWork: !claimed.isEmpty)
            guard !again else { return (claimed, request.now) }
            // Otherwise wake when the next work falls due: the earliest pending row or lease not
            // yet due as the window read it (what another process committed while this one waited
            // for its turn announces itself, or the idle poll finds it), the leases just taken, or
            // an endpoint the plan held back. After a full batch the dispatcher claims again at
            // once, and only the plan's time counts.
            let nextDue = [first.later, wrapped.later, claimed.isEmpty ? nil : until].compactMap { $0 }.min()
                .map(Timestamp.date(millis:))
            return (
                claimed, claimed.count >= request.limit ? plan.wakeAt : [nextDue, plan.wakeAt].compactMap { $0 }.min()
            )
        }
        guard !claimed.isEmpty else { return Claim(jobs: [], wakeAt: wakeAt) }
        let (webhooks, unreadable) = try UnreadableWebhook.partition(claimed.compactMap(\.webhook))
        // The events of the deliveries that can go (after the commit: a payload may be a megabyte).
        let opened = Set(webhooks.map(\.id))
        let events = try await client.all(
            Prepared.EventsById(
                ids: Array(Set(claimed.filter { opened.contains($0.delivery.webhookId) }.map(\.delivery.eventId)))),
            logger: logger)
        let jobs = DispatchJob.assemble(
            claimed.map(\.delivery), events: events, webhooks: webhooks, tenants: claimed.compactMap(\.tenant))
        return Claim(jobs: jobs, wakeAt: wakeAt, unreadable: unreadable)
    }

    /// The advisory lock claims take turns on.
    static let claimLock: Int64 = 4_242_002

    @discardableResult
    public func settle(_ settlements: [Settlement]) async throws -> [CircuitTransition] {
        guard !settlements.isEmpty else { return [] }
        let logger = self.logger
        // One row per delivery (a delivery settled twice in one batch keeps its last attempt).
        var seen = Set<String>()
        let rows = settlements.reversed().filter { seen.insert($0.deliveryId).inserted }.reversed() as [Settlement]
        let endpoints = Array(Set(rows.map(\.webhookId))).sorted { $0.text < $1.text }
        return try await transaction { connection in
            // The endpoints first, in id order, as a delete takes them (a webhook, then its
            // deliveries by cascade). Taking the deliveries first and the webhook last, as this did,
            // deadlocked with a delete of the webhook between the two. Their failure state and
            // circuits are read with the lock (nothing else changes them until this commits), so
            // an endpoint whose state does not move costs no statement of its own.
            let states = Dictionary(
                try await connection.all(Prepared.SettleEndpoints(ids: endpoints), logger: logger).map {
                    ($0.id, (failing: $0.failing, circuit: $0.circuit))
                }
            ) { first, _ in first }
            // The attempts and the deliveries, one statement for the whole batch.
            let held = Set(try await connection.all(Prepared.Settle(settlements: rows), logger: logger))
            // A worker that lost the lease logs its attempt but no longer speaks for the webhook.
            // Each endpoint's settlements fold into one change of its failure state and of its circuit.
            var transitions: [CircuitTransition] = []
            for endpoint in EndpointSettlements.byEndpoint(rows.filter { held.contains($0.deliveryId) }) {
                let webhookId = endpoint.webhookId
                let failure = endpoint.failure
                switch failure.failing {
                case .untouched: break
                case .cleared:
                    guard states[webhookId]?.failing == true else { break }
                    try await connection.query(
                        "UPDATE webhooks SET failing_since = NULL WHERE id = \(webhookId)", logger: logger)
                case .set(let since):
                    try await connection.query(
                        "UPDATE webhooks SET failing_since = \(Timestamp.millis(since)) WHERE id = \(webhookId)",
                        logger: logger)
                case .keptOr(let since):
                    try await connection.query(
                        """
                        UPDATE webhooks SET failing_since = COALESCE(failing_since, \(Timestamp.millis(since)))
                        WHERE id = \(webhookId)
                        """, logger: logger)
                }
                if let reason = failure.disable, let endedAt = endpoint.endedAt {
                    try await connection.query(
                        """
                        UPDATE webhooks SET is_active = false, disabled_reason = \(reason),
                            updated_at = \(Timestamp.millis(endedAt))
                        WHERE id = \(webhookId)
                        """, logger: logger)
                }
                guard endpoint.movesCircuit, let current = states[webhookId]?.circuit else { continue }
                let (circuit, moves) = endpoint.circuit(from: current)
                transitions += moves
                guard circuit != current else { continue }
                try await connection.query(
                    """
                    UPDATE webhooks SET circuit_failures = \(circuit.failures),
                        circuit_opened_at = \(circuit.openedAt.map(Timestamp.millis)),
                        circuit_probe_at = \(circuit.probeAt.map(Timestamp.millis)),
                        circuit_failed_probes = \(circuit.failedProbes)
                    WHERE id = \(webhookId)
                    """, logger: logger)
            }
            return transitions
        }
    }

    public func queueStats(now: Date, cap: Int) async throws -> QueueStats {
        let at = Timestamp.millis(now)
        let rows = try await client.query(
            """
            SELECT
                (SELECT COUNT(*) FROM (SELECT 1 FROM deliveries
                    WHERE status = 'pending' AND next_attempt_at <= \(at) LIMIT \(cap)) d) AS due,
                (SELECT COUNT(*) FROM (SELECT 1 FROM deliveries
                    WHERE status = 'pending' AND next_attempt_at > \(at) LIMIT \(cap)) s) AS scheduled,
                (SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE status = 'in_flight' LIMIT \(cap)) f) AS in_flight,
                (SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND next_attempt_at <= \(at))
                    AS oldest,
                (SELECT COUNT(*) FROM (SELECT 1 FROM webhooks WHERE circuit_opened_at IS NOT NULL AND is_active LIMIT \(cap)) o)
                    AS open
            """, logger: logger
        ).all { row in
            QueueStats(
                dueNow: try row.value("due", as: Int.self), scheduled: try row.value("scheduled", as: Int.self),
                inFlight: try row.value("in_flight", as: Int.self),
                oldestDue: try row.value("oldest", as: Int64?.self).map(Timestamp.date(millis:)),
                openCircuits: try row.value("open", as: Int.self))
        }
        var stats = rows.first ?? QueueStats(dueNow: 0, scheduled: 0, inFlight: 0, oldestDue: nil)
        for try await (kind, tenant, count) in try await client.query(
            """
            (SELECT 'due' AS kind, tenant_id, COUNT(*) AS n FROM (SELECT tenant_id FROM deliveries
                WHERE status = 'pending' AND next_attempt_at <= \(at) LIMIT \(cap)) d
                GROUP BY tenant_id ORDER BY n DESC LIMIT \(QueueStats.busiest))
            UNION ALL
            (SELECT 'open' AS kind, tenant_id, COUNT(*) AS n FROM (SELECT tenant_id FROM webhooks
                WHERE circuit_opened_at IS NOT NULL AND is_active LIMIT \(cap)) c
                GROUP BY tenant_id ORDER BY n DESC LIMIT \(QueueStats.busiest))
            """, logger: logger
        ).decode((String, UUID, Int).self) {
            if kind == "due" {
                stats.dueByTenant[tenant] = count
            } else {
                stats.openCircuitsByTenant[tenant] = count
            }
        }
        return stats
    }

    public func nextDueDate() async throws -> Date? {
        try await client.query(
            """
            SELECT LEAST(
                (SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'),
                (SELECT MIN(lease_until) FROM deliveries WHERE status = 'in_flight'),
                (SELECT MIN(created_at) FROM fan_outs)) AS due
            """, logger: logger
        ).all { try $0.value("due", as: Int64?.self) }.first.flatMap { $0 }.map(Timestamp.date(millis:))
    }

    public func expandFanOuts() async throws -> FanOutProgress {
        let waiting =
            try await client.query("SELECT EXISTS (SELECT 1 FROM fan_outs) AS waiting", logger: logger)
            .all { try $0.value("waiting", as: Bool.self) }.first ?? false
        guard waiting else { return FanOutProgress(created: 0, remaining: false) }
        let progress = try await transaction { connection in
            try await Self.expandFanOut(connection, logger: self.logger)
        }
        if progress.created > 0 { try await notifyWorkers() }
        return progress
    }

    /// The oldest parts of deferred fan-outs, as many as ``DeferredFanOut/partsToTake(sizes:)``
    /// says, but those another process is expanding. Should that process fail, the dispatchers'
    /// periodic look (``Dispatcher``) takes its parts.
    static func expandFanOut(_ connection: PostgresConnection, logger: Logger) async throws -> FanOutProgress {
        // Candidates read without locks, so that only the parts taken are locked: another process
        // expands the next ones meanwhile.
        let oldest = try await connection.query(
            """
            SELECT event_id, part, size FROM fan_outs
            ORDER BY created_at, event_id, part LIMIT \(DeferredFanOut.partsPerExpansion)
            """, logger: logger
        ).all { row in
            (
                try row.value("event_id", as: UUID.self), try row.value("part", as: Int.self),
                try row.value("size", as: Int.self)
            )
        }
        let taken = Array(oldest.prefix(DeferredFanOut.partsToTake(sizes: oldest.map(\.2))))
        guard !taken.isEmpty else { return FanOutProgress(created: 0, remaining: false) }
        // Parts another process holds, or has expanded since, are skipped.
        let parts = try await connection.query(
            """
            DELETE FROM fan_outs WHERE (event_id, part) IN (
                SELECT event_id, part FROM fan_outs
                WHERE (event_id, part) IN (
                    SELECT * FROM UNNEST(\(taken.map(\.0))::uuid[], \(taken.map { Int64($0.1) })::bigint[]))
                FOR UPDATE SKIP LOCKED)
            RETURNING event_id, tenant_id, targets, created_at
            """, logger: logger
        ).all { row in
            (
                try row.value("event_id", as: UUID.self), try row.value("tenant_id", as: UUID.self),
                try row.value("targets", as: String.self), try row.value("created_at", as: Int64.self)
            )
        }
        var deliveries: [Delivery] = []
        for (eventId, tenantId, text, createdAt) in parts {
            guard let targets = DeferredFanOut.targets(fromText: text) else {
                throw CorruptRow(table: "fan_outs", column: "targets")
            }
            deliveries += DeferredFanOut(
                eventId: eventId, tenantId: tenantId, createdAt: Timestamp.date(millis: createdAt), targets: targets
            ).deliveries(of: targets)
        }
        // None for webhooks deleted since the event.
        let existing = Set(
            try await connection.query(
                "SELECT id FROM webhooks WHERE id = ANY(\(Array(Set(deliveries.map(\.webhookId))))::uuid[])",
                logger: logger
            ).all { try $0.value("id", as: UUID.self) })
        let made = deliveries.filter { existing.contains($0.webhookId) }
        try await insert(made, connection, logger: logger)
        return FanOutProgress(created: made.count, remaining: true)
    }
}

extension PostgresStore {
    public func workAvailable() -> AsyncStream<Void> { work.subscribe() }

    /// Wakes the workers of every process.
    func notifyWorkers() async throws {
        try await Self.notifyWorkers(client: client, logger: logger)
    }

    /// Wakes the workers of every process, on `client`.
    static func notifyWorkers(client: PostgresClient, logger: Logger) async throws {
        try await client.query("SELECT pg_notify(\(wakeChannel), '')", logger: logger)
    }
}

extension PostgresStore: DeliveryLog {
    public func deliveries(webhookId: UUID, status: Delivery.Status?, page: PageRequest) async throws -> Page<Delivery>
    {
        var statement = StatementBuilder()
        statement.conditions.append("webhook_id = \(try statement.bind(webhookId))")
        if let status { statement.conditions.append("status = \(try statement.bind(status.rawValue))") }
        return try await fetchPage(
            of: "deliveries", statement, page: page, order: "created_at DESC, id DESC", make: Delivery.init(postgres:))
    }

    public func delivery(id: String) async throws -> Delivery? {
        try await client.query("SELECT * FROM deliveries WHERE id = \(id)", logger: logger).all(
            Delivery.init(postgres:)
        ).first
    }

    public func attempts(deliveryId: String) async throws -> [DeliveryAttempt] {
        try await client.query("SELECT * FROM attempts WHERE delivery_id = \(deliveryId) ORDER BY n", logger: logger)
            .all(DeliveryAttempt.init(postgres:))
    }

    public func requeue(deliveryId: String, now: Date) async throws -> Delivery? {
        let delivery = try await client.query(
            """
            UPDATE deliveries SET status = 'pending', next_attempt_at = \(Timestamp.millis(now)), settled_at = NULL
            WHERE id = \(deliveryId) AND status IN ('succeeded', 'failed', 'pending')
            RETURNING *
            """, logger: logger
        ).all(Delivery.init(postgres:)).first
        if delivery != nil { try await notifyWorkers() }
        return delivery
    }

    public func recover(webhookId: UUID, since: Date, until: Date, now: Date) async throws -> Int {
        let count = try await client.query(
            """
            UPDATE deliveries SET status = 'pending', next_attempt_at = \(Timestamp.millis(now)), settled_at = NULL
            WHERE webhook_id = \(webhookId) AND status = 'failed' AND created_at >= \(Timestamp.millis(since))
                AND created_at < \(Timestamp.millis(until))
            RETURNING id
            """, logger: logger
        ).all { _ in 1 }.count
        if count > 0 { try await notifyWorkers() }
        return count
    }
}
