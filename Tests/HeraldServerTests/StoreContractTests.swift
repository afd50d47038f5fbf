import Foundation
import HeraldCore
import HeraldDelivery
import Testing

/// One contract, every store: the same tests run against SQLite and PostgreSQL.
@Suite struct StoreContractTests {
    let now = Timestamp.now()

    func world(_ store: any HeraldStore, demo: Bool = false) async throws -> (Tenant, Property) {
        let tenant = Tenant(name: "Acme", demoMode: demo, octoSupplier: ["id": "s-1"], createdAt: now)
        try await store.insertTenant(tenant)
        let property = Property(tenantId: tenant.id, title: "Hotel", createdAt: now)
        try await store.insertProperty(property)
        return (tenant, property)
    }

    func webhook(
        _ tenant: Tenant, _ property: Property?, mask: String = "*", url: String = "https://8.8.8.8/h",
        limits: EndpointLimits = EndpointLimits(maxInFlight: 64)
    ) throws -> Webhook {
        Webhook(
            tenantId: tenant.id, propertyId: property?.id, isGlobal: property == nil, callbackURL: url,
            eventMask: try EventMask(parsing: mask), requestParams: ["a": "b"], headers: ["X-A": "1"], isActive: true,
            sendData: true, secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())],
            retryPolicy: RetryPolicy(scheduleSeconds: [1, 2]), limits: limits, createdAt: now, updatedAt: now)
    }

    func event(
        _ tenant: Tenant, _ property: Property?, _ name: String = "booking_new", key: String? = nil,
        payload: JSONValue = ["n": 1]
    ) -> Event {
        Event(
            tenantId: tenant.id, propertyId: property?.id, name: name, payload: payload, occurredAt: now,
            idempotencyKey: key, createdAt: now)
    }

    @Test(arguments: Backend.allCases)
    func tenantsKeysAndPropertiesRoundTrip(backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.hasAPIKeys() == false)
            let (tenant, property) = try await world(store)
            #expect(try await store.tenant(id: tenant.id) == tenant)
            let key = APIKey(
                tenantId: tenant.id, role: .user, propertyIds: [property.id], prefix: "hrld_x", hash: "h1",
                createdAt: now)
            try await store.insertAPIKey(key)
            #expect(try await store.apiKey(hash: "h1") == key)
            #expect(try await store.hasAPIKeys())
            try await store.revokeAPIKey(id: key.id, at: now)
            #expect(try await store.apiKey(id: key.id)?.revokedAt == now)
            #expect(try await store.listAPIKeys(tenantId: tenant.id, page: PageRequest()).total == 1)
            let properties = try await store.listProperties(PropertyQuery(tenantId: tenant.id, ids: [property.id]))
            #expect(properties.items == [property])
            #expect(try await store.listTenants(only: nil, page: PageRequest(page: 1, limit: 1)).total == 1)
            let hook = try webhook(tenant, property)
            try await store.insertWebhook(hook)
            try await store.deleteProperty(id: property.id)
            #expect(try await store.webhook(id: hook.id) == nil)
            await #expect(throws: StoreError.notFound) { try await store.deleteProperty(id: property.id) }
        }
    }

    /// An event keeps the trace it came in on, and the claim hands it to the attempt; an event
    /// taken in with tracing off has none.
    @Test(arguments: Backend.allCases)
    func anEventKeepsItsTraceParentUntilItsDeliveryIsClaimed(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            try await store.insertWebhook(try webhook(tenant, property))
            let traced = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            var first = event(tenant, property)
            first.traceParent = traced
            let stored = try await store.ingest([first, event(tenant, property)], tenantId: tenant.id, now: now)
            #expect(try await store.event(id: stored[0].event.id)?.traceParent == traced)
            #expect(try await store.event(id: stored[1].event.id)?.traceParent == nil)
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 10)
            #expect(Set(jobs.map(\.event.traceParent)) == [traced, nil])
        }
    }

    /// One claim whose deliveries share events, webhooks and tenants (two events to two webhooks
    /// each, in two tenants): every job carries its own event, webhook and tenant in full.
    @Test(arguments: Backend.allCases)
    func everyClaimedJobCarriesItsEventWebhookAndTenant(backend: Backend) async throws {
        try await backend.withStore { store in
            var expected: Set<[UUID]> = []
            var events: [UUID: Event] = [:]
            var webhooks: [UUID: Webhook] = [:]
            var tenants: [UUID: Tenant] = [:]
            for _ in 0..<2 {
                let (tenant, property) = try await world(store)
                tenants[tenant.id] = tenant
                let hooks = [try webhook(tenant, property), try webhook(tenant, nil, url: "https://8.8.4.4/g")]
                for hook in hooks {
                    try await store.insertWebhook(hook)
                    webhooks[hook.id] = hook
                }
                for n in 0..<2 {
                    let stored = try await store.ingest(
                        [
                            event(
                                tenant, property,
                                payload: ["n": .int(Int64(n)), "text": .string(String(repeating: "x", count: 2_000))])
                        ],
                        tenantId: tenant.id, now: now)
                    events[stored[0].event.id] = stored[0].event
                    for hook in hooks { expected.insert([stored[0].event.id, hook.id, tenant.id]) }
                }
            }
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 64)
            #expect(Set(jobs.map { [$0.event.id, $0.webhook.id, $0.tenant.id] }) == expected)
            #expect(jobs.count == 8)
            for job in jobs {
                #expect(job.event == events[job.event.id])
                #expect(job.webhook == webhooks[job.webhook.id])
                #expect(job.tenant == tenants[job.tenant.id])
                #expect(job.delivery.eventId == job.event.id && job.delivery.webhookId == job.webhook.id)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func webhooksRoundTripAndListByReach(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let (other, otherProperty) = try await world(store)
            var hook = try webhook(tenant, property)
            try await store.insertWebhook(hook)
            let global = try webhook(tenant, nil)
            try await store.insertWebhook(global)
            try await store.insertWebhook(try webhook(other, otherProperty))
            #expect(try await store.webhook(id: hook.id) == hook)
            hook.isActive = false
            hook.octo = OctoSettings(event: "booking_update", capabilities: ["octo/pricing"])
            hook.failingSince = now
            try await store.updateWebhook(hook)
            #expect(try await store.webhook(id: hook.id) == hook)
            #expect(try await store.listWebhooks(WebhookQuery(tenantId: tenant.id)).total == 2)
            #expect(
                try await store.listWebhooks(WebhookQuery(tenantId: tenant.id, includeGlobal: false)).items == [hook])
            #expect(
                try await store.listWebhooks(WebhookQuery(tenantId: tenant.id, propertyScope: [], includeGlobal: false))
                    .total == 0)
            #expect(try await store.listWebhooks(WebhookQuery(tenantId: tenant.id, isActive: true)).items == [global])
            #expect(try await store.listWebhooks(WebhookQuery(tenantId: nil)).total == 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func ingestFansOutOnceAndReplaysIdempotencyKeys(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let hook = try webhook(tenant, property, mask: "booking")
            try await store.insertWebhook(hook)
            try await store.insertWebhook(try webhook(tenant, nil, mask: "*", url: "https://8.8.8.8/h"))
            let first = try await store.ingest([event(tenant, property, key: "k")], tenantId: tenant.id, now: now)
            #expect(first.map(\.deliveries) == [1])
            let again = try await store.ingest([event(tenant, property, key: "k")], tenantId: tenant.id, now: now)
            #expect(again.first?.replayed == true)
            #expect(again.first?.event.id == first.first?.event.id)
            let page = try await store.deliveries(webhookId: hook.id, status: nil, page: PageRequest())
            #expect(page.items.map(\.eventName) == ["booking"])
            #expect(try await store.event(id: first[0].event.id)?.payload == ["n": 1])
            let (demoTenant, demoProperty) = try await world(store, demo: true)
            try await store.insertWebhook(try webhook(demoTenant, demoProperty))
            #expect(
                try await store.ingest([event(demoTenant, demoProperty)], tenantId: demoTenant.id, now: now).map(
                    \.deliveries) == [0])
        }
    }

    /// Matching reads webhooks from a cache; a change made through another store (another
    /// process) must reach the very next ingest: created, narrowed, deactivated, made global, deleted.
    @Test(arguments: Backend.allCases)
    func webhookChangesMadeElsewhereReachTheNextIngest(backend: Backend) async throws {
        try await backend.withTwoStores { ingesting, other in
            let (tenant, property) = try await world(other)
            func deliveries() async throws -> Int {
                try await ingesting.ingest([event(tenant, property)], tenantId: tenant.id, now: now)[0].deliveries
            }
            #expect(try await deliveries() == 0)
            var hook = try webhook(tenant, property)
            try await other.insertWebhook(hook)
            #expect(try await deliveries() == 1)
            hook.eventMask = try EventMask(parsing: "message")
            try await other.updateWebhook(hook)
            #expect(try await deliveries() == 0)
            hook.eventMask = try EventMask(parsing: "*")
            hook.isActive = false
            try await other.updateWebhook(hook)
            #expect(try await deliveries() == 0)
            let global = try webhook(tenant, nil, url: "https://8.8.4.4/g")
            try await other.insertWebhook(global)
            #expect(try await deliveries() == 1)
            try await other.deleteWebhook(id: global.id)
            #expect(try await deliveries() == 0)
        }
    }

    /// Concurrent ingests share transactions (group commit); each still gets its own answer, and
    /// one whose tenant is gone fails alone.
    @Test(arguments: Backend.allCases)
    func concurrentIngestsEachGetTheirOwnAnswer(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            try await store.insertWebhook(try webhook(tenant, property))
            let ghost = Tenant(name: "Gone", createdAt: now)
            let results = try await withThrowingTaskGroup(of: (Int, Result<[IngestResult], StoreError>).self) { group in
                for n in 0..<40 {
                    group.addTask {
                        let owner = n % 10 == 9 ? ghost : tenant
                        do {
                            let results = try await store.ingest(
                                [event(owner, n % 10 == 9 ? nil : property, payload: ["n": .int(Int64(n))])],
                                tenantId: owner.id, now: now)
                            return (n, .success(results))
                        } catch let error as StoreError {
                            return (n, .failure(error))
                        }
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (n, result) in results {
                if n % 10 == 9 {
                    #expect(throws: StoreError.notFound) { try result.get() }
                } else {
                    let answer = try result.get()
                    #expect(
                        answer.count == 1 && answer[0].deliveries == 1 && answer[0].event.payload["n"] == .int(Int64(n))
                    )
                    #expect(try await store.event(id: answer[0].event.id) != nil)
                }
            }
        }
    }

    /// Posts one event with idempotency key `key` through each of `stores` at once, and expects
    /// one event stored, answered to every request (the others replay it).
    func expectOneEvent(
        key: String, postedThrough stores: [any HeraldStore], tenant: Tenant, property: Property
    ) async throws {
        let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
            for store in stores {
                group.addTask {
                    try await store.ingest([event(tenant, property, key: key)], tenantId: tenant.id, now: now)[0]
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { !$0.replayed }.count == 1)
        #expect(Set(results.map(\.event.id)).count == 1)
        #expect(results.allSatisfy { $0.deliveries == 1 })
    }

    @Test(arguments: Backend.allCases)
    func concurrentRequestsWithOneIdempotencyKeyStoreOneEvent(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            try await store.insertWebhook(try webhook(tenant, property))
            // Connections open first, so that the requests really overlap.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await store.ping() } }
                try await group.waitForAll()
            }
            try await expectOneEvent(
                key: "race", postedThrough: Array(repeating: store, count: 8), tenant: tenant, property: property)
        }
    }

    /// The same idempotency key from two processes at once (each with its own group commit):
    /// one event is stored, the other process's request replays it.
    @Test(arguments: Backend.allCases)
    func oneIdempotencyKeyFromTwoProcessesAtOnceStoresOneEvent(backend: Backend) async throws {
        try await backend.withTwoStores { first, second in
            let (tenant, property) = try await world(first)
            try await first.insertWebhook(try webhook(tenant, property))
            for round in 0..<4 {
                try await expectOneEvent(
                    key: "race-\(round)", postedThrough: [first, second, first, second], tenant: tenant,
                    property: property)
            }
        }
    }

    /// A webhook deleted by another process while events for it are ingested: every event is
    /// stored (an ingest whose write meets the deletion runs again), and none of the deliveries
    /// made before the deletion outlives it.
    @Test(arguments: Backend.allCases)
    func aWebhookDeletedDuringIngestStoresEveryEvent(backend: Backend) async throws {
        try await backend.withTwoStores { ingesting, other in
            let (tenant, property) = try await world(ingesting)
            for round in 1...4 {
                let doomed = try webhook(tenant, property)
                try await ingesting.insertWebhook(doomed)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<24 {
                        group.addTask {
                            _ = try await ingesting.ingest([event(tenant, property)], tenantId: tenant.id, now: now)
                        }
                    }
                    group.addTask { try await other.deleteWebhook(id: doomed.id) }
                    try await group.waitForAll()
                }
                let stored = try await ingesting.listEvents(EventQuery(tenantId: tenant.id))
                #expect(stored.total == 24 * round)
                let left = try await ingesting.deliveries(webhookId: doomed.id, status: nil, page: PageRequest())
                #expect(left.items.isEmpty)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func octoEntitiesGetADiffAgainstTheirLastState(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, _) = try await world(store)
            let first = try await store.ingest(
                [event(tenant, nil, "booking_update", payload: ["booking": ["uuid": "b", "status": "ON_HOLD"]])],
                tenantId: tenant.id, now: now)
            let second = try await store.ingest(
                [event(tenant, nil, "booking_update", payload: ["booking": ["uuid": "b", "status": "CONFIRMED"]])],
                tenantId: tenant.id, now: now)
            #expect(first[0].event.payload["diff"] == [])
            #expect(
                second[0].event.payload["diff"] == [
                    ["op": "replace", "path": "/status", "was": "ON_HOLD", "value": "CONFIRMED"]
                ])
        }
    }

    @Test(arguments: Backend.allCases)
    func claimsAreExclusiveUntilTheLeaseExpires(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            try await store.insertWebhook(try webhook(tenant, property))
            _ = try await store.ingest((0..<10).map { _ in event(tenant, property) }, tenantId: tenant.id, now: now)
            // Concurrent claimers get disjoint rows.
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        try await store.claimDue(owner: "w\(worker)", now: Date(), lease: 60, limit: 3).map(
                            \.delivery.id)
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claims.count == 10)
            #expect(Set(claims).count == 10)
            #expect(try await store.claimDue(owner: "late", now: Date(), lease: 60, limit: 10).isEmpty)
            // After the leases run out, another worker claims the rows again.
            let later = try await store.claimDue(
                owner: "heir", now: Date().addingTimeInterval(61), lease: 60, limit: 20)
            #expect(later.count == 10)
            #expect(later.allSatisfy { $0.tenant.id == tenant.id && $0.webhook.isActive })
        }
    }

    /// A claim looks at a window of the endpoints waiting; with more endpoints than the window,
    /// claim after claim still finds work until every delivery is claimed.
    @Test(arguments: Backend.allCases)
    func claimsReachEveryEndpointWhenMoreWaitThanOneClaimLooksAt(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, _) = try await world(store)
            let hooks = try (0..<700).map { n in try webhook(tenant, nil, url: "https://8.8.8.8/h\(n)") }
            try await store.insertWebhooks(hooks)
            _ = try await store.ingest([event(tenant, nil)], tenantId: tenant.id, now: now)
            var claimed = Set<String>()
            for _ in 0..<20 {
                let jobs = try await store.claimDue(owner: "w", now: now, lease: 60, limit: 64)
                if claimed.count < 700 { #expect(!jobs.isEmpty) }
                claimed.formUnion(jobs.map(\.delivery.id))
            }
            #expect(claimed.count == 700)
        }
    }

    /// An event to more webhooks than ``DeferredFanOut/threshold`` stores its targets with it, in
    /// parts, and answers their number; each expansion makes one part's deliveries, none for a
    /// webhook deleted in between (a part of only such makes none and is dropped) and none for
    /// one created after the event.
    @Test(arguments: Backend.allCases)
    func largeFanOutsAreStoredAsTargetsAndExpandedAPartAtATime(backend: Backend) async throws {
        try await backend.withTwoStores { store, other in
            let (tenant, property) = try await world(store)
            let count = DeferredFanOut.partSize + 5
            let hooks = try (0..<count).map { n in try webhook(tenant, property, url: "https://8.8.8.8/h\(n)") }
            try await store.insertWebhooks(hooks)
            let first = try await store.ingest([event(tenant, property, key: "big")], tenantId: tenant.id, now: now)
            #expect(first[0].deliveries == count)
            // Nothing is made yet, and the fan-out is due work.
            #expect(try await store.deliveries(webhookId: hooks[0].id, status: nil, page: PageRequest()).total == 0)
            #expect(try await store.nextDueDate().map { $0 <= now } == true)
            let replay = try await store.ingest([event(tenant, property, key: "big")], tenantId: tenant.id, now: now)
            #expect(replay[0].replayed && replay[0].deliveries == count)

            for hook in hooks.suffix(5) { try await store.deleteWebhook(id: hook.id) }
            try await store.insertWebhook(try webhook(tenant, property, url: "https://8.8.8.8/later"))
            // Either process expands.
            #expect(
                try await other.expandFanOuts() == FanOutProgress(created: DeferredFanOut.partSize, remaining: true))
            let last = try await store.expandFanOuts()
            #expect(last.created == 0)
            if last.remaining { #expect(try await store.expandFanOuts().created == 0) }
            #expect(try await store.expandFanOuts() == FanOutProgress(created: 0, remaining: false))
            var claimed = Set<UUID>()
            for _ in 0..<40 {
                let jobs = try await store.claimDue(owner: "w", now: now, lease: 60, limit: 64)
                #expect(jobs.allSatisfy { $0.event.id == first[0].event.id && $0.delivery.createdAt == now })
                claimed.formUnion(jobs.map(\.webhook.id))
            }
            #expect(claimed == Set(hooks.prefix(DeferredFanOut.partSize).map(\.id)))
            let again = try await store.ingest([event(tenant, property, key: "big")], tenantId: tenant.id, now: now)
            #expect(again[0].deliveries == DeferredFanOut.partSize)
        }
    }

    /// A delivery deleted while it was sent (its webhook deleted) cannot have its attempt logged;
    /// the settlements grouped with it still land, rather than being sent again.
    @Test(arguments: Backend.allCases)
    func aDeliveryDeletedMidSendDoesNotFailTheSettlementsBesideIt(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let kept = try webhook(tenant, property)
            let deleted = try webhook(tenant, property, url: "https://8.8.4.4/h")
            try await store.insertWebhooks([kept, deleted])
            _ = try await store.ingest([event(tenant, property)], tenantId: tenant.id, now: now)
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 10)
            #expect(jobs.count == 2)
            try await store.deleteWebhook(id: deleted.id)
            let group = jobs.map { job in
                Settlement(
                    deliveryId: job.delivery.id, webhookId: job.webhook.id, leaseOwner: "w",
                    attempt: DeliveryAttempt(
                        deliveryId: job.delivery.id, number: 1, startedAt: now, durationMs: 3, statusCode: 200,
                        responseBody: nil, error: nil),
                    next: .succeeded, effect: .recovered)
            }
            let results = await Dispatcher<AnyQueue>.settle(group, on: AnyQueue(store))
            for (job, result) in zip(jobs, results) {
                if job.webhook.id == kept.id {
                    #expect((try? result.get()) != nil)
                    #expect(try await store.delivery(id: job.delivery.id)?.status == .succeeded)
                } else {
                    #expect((try? result.get()) == nil)
                }
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func settleRecordsTheAttemptAndMovesTheDeliveryOn(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let hook = try webhook(tenant, property)
            try await store.insertWebhook(hook)
            _ = try await store.ingest(
                [event(tenant, property), event(tenant, property)], tenantId: tenant.id, now: now)
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 10)
            #expect(jobs.count == 2)
            func attempt(_ job: DispatchJob, _ code: Int?) -> DeliveryAttempt {
                DeliveryAttempt(
                    deliveryId: job.delivery.id, number: 1, startedAt: now, durationMs: 12, statusCode: code,
                    responseBody: "ok", error: code == nil ? "timeout" : nil)
            }
            let retryAt = now.addingTimeInterval(30)
            try await store.settle([
                Settlement(
                    deliveryId: jobs[0].delivery.id, webhookId: hook.id, leaseOwner: "w",
                    attempt: attempt(jobs[0], nil),
                    next: .retry(at: retryAt), effect: .failing(since: now)),
                Settlement(
                    deliveryId: jobs[1].delivery.id, webhookId: hook.id, leaseOwner: "someone-else",
                    attempt: attempt(jobs[1], 200), next: .succeeded, effect: .recovered),
            ])
            let retried = try await store.delivery(id: jobs[0].delivery.id)
            #expect(retried?.status == .pending)
            #expect(retried?.nextAttemptAt == retryAt)
            #expect(retried?.attempts == 1)
            #expect(retried?.lastError == "timeout")
            // A worker that lost its lease does not speak for the webhook: it is still failing.
            #expect(try await store.webhook(id: hook.id)?.failingSince == now)
            // A settlement from a worker that lost the lease is logged but moves no delivery.
            #expect(try await store.delivery(id: jobs[1].delivery.id)?.status == .inFlight)
            #expect(try await store.attempts(deliveryId: jobs[1].delivery.id).map(\.statusCode) == [200])
            #expect(try await store.nextDueDate() != nil)
            // Past the retry and the lost lease, both come due again.
            let disabling = try await store.claimDue(
                owner: "w", now: Date().addingTimeInterval(61), lease: 60, limit: 10)
            #expect(disabling.count == 2)
            try await store.settle(
                disabling.map {
                    Settlement(
                        deliveryId: $0.delivery.id, webhookId: hook.id, leaseOwner: "w", attempt: attempt($0, 410),
                        next: .failed, effect: .disable(reason: "gone"))
                })
            let disabled = try await store.webhook(id: hook.id)
            #expect(disabled?.isActive == false)
            #expect(disabled?.disabledReason == "gone")
        }
    }

    @Test(arguments: Backend.allCases)
    func requeueAndRecoverMakeSettledDeliveriesDueAgain(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let hook = try webhook(tenant, property)
            try await store.insertWebhook(hook)
            _ = try await store.ingest(
                [event(tenant, property), event(tenant, property)], tenantId: tenant.id, now: now)
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 10)
            #expect(try await store.requeue(deliveryId: jobs[0].delivery.id, now: now) == nil)
            try await store.settle(
                jobs.map {
                    Settlement(
                        deliveryId: $0.delivery.id, webhookId: hook.id, leaseOwner: "w",
                        attempt: DeliveryAttempt(
                            deliveryId: $0.delivery.id, number: 1, startedAt: now, durationMs: 1,
                            statusCode: 400, responseBody: nil, error: nil),
                        next: .failed, effect: .failing(since: now))
                })
            #expect(try await store.deliveries(webhookId: hook.id, status: .failed, page: PageRequest()).total == 2)
            #expect(try await store.requeue(deliveryId: jobs[0].delivery.id, now: now)?.status == .pending)
            let recovered = try await store.recover(
                webhookId: hook.id, since: now.addingTimeInterval(-60), until: now.addingTimeInterval(60), now: now)
            #expect(recovered == 1)
            #expect(try await store.deliveries(webhookId: hook.id, status: .pending, page: PageRequest()).total == 2)
        }
    }
}

/// A store as a ``DeliveryQueue`` of one concrete type, for calling the dispatcher's statics.
struct AnyQueue: DeliveryQueue {
    let store: any HeraldStore

    init(_ store: any HeraldStore) { self.store = store }

    func claim(_ request: ClaimRequest) async throws -> Claim { try await store.claim(request) }
    func settle(_ settlements: [Settlement]) async throws -> [CircuitTransition] {
        try await store.settle(settlements)
    }
    func expandFanOuts() async throws -> FanOutProgress { try await store.expandFanOuts() }
    func nextDueDate() async throws -> Date? { try await store.nextDueDate() }
    func queueStats(now: Date, cap: Int) async throws -> QueueStats { try await store.queueStats(now: now, cap: cap) }
    func workAvailable() -> AsyncStream<Void> { store.workAvailable() }
}
