import Foundation
import HeraldCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Tracing

/// Claims due deliveries in batches, shared fairly between tenants and endpoints (``FairClaim``),
/// tries them concurrently (bounded) and settles each as ``DeliveryDecision`` says. Woken when the
/// queue announces work or a send frees a slot; otherwise it sleeps until the claim's wake time
/// (the next delivery due, circuit probe or rate-limit slot). On graceful shutdown it claims
/// nothing more and lets the sends under way finish.
public final class Dispatcher<Queue: DeliveryQueue>: Service, Sendable {
    let queue: Queue
    let courier: Courier
    let configuration: DispatcherConfiguration
    let decision: DeliveryDecision
    let clock: HeraldClock
    let logger: Logger
    private let signal = WakeSignal()
    /// Sends under way, per tenant.
    private let inFlight = Mutex<[UUID: Int]>([:])
    /// Whether a deferred fan-out may wait, and when the store was last asked: it is asked after
    /// an announcement of work (an ingest may have stored one), while parts remain, and once an
    /// idle poll interval otherwise (a part another process held when it failed, one that failed
    /// here). Asking on every round cost 10% of the drain rate.
    private let fanOuts = Mutex((mayWait: true, lastAsked: Date.distantPast))
    /// Not ready until the loop has gone round once.
    private let heartbeat = Mutex(Date.distantPast)
    /// When a claim last succeeded or a send last settled (readiness: due work, no progress).
    private let progress = Mutex(Date.distantPast)
    /// Settlements of sends that end together, written in one transaction.
    private let settlements: GroupCommit<Settlement, [CircuitTransition]>
    /// Publishes Herald's own events (``OperationalEvents``) into the tenant's stream.
    let publish: @Sendable (Event) async throws -> Void

    public init(
        queue: Queue, courier: Courier, configuration: DispatcherConfiguration, clock: HeraldClock = .system,
        logger: Logger, publish: @escaping @Sendable (Event) async throws -> Void = { _ in }
    ) {
        self.publish = publish
        self.queue = queue
        self.courier = courier
        self.configuration = configuration
        self.decision = DeliveryDecision(
            lifecycle: configuration.lifecycle, owner: configuration.owner, breaker: configuration.breaker)
        self.clock = clock
        self.logger = logger
        settlements = GroupCommit(maxCost: 256, capacity: max(1, configuration.concurrency)) { group in
            await Self.settle(group, on: queue)
        }
    }

    /// When the loop last went round (for `/ready`).
    public var lastHeartbeat: Date { heartbeat.withLock { $0 } }
    /// When a claim last succeeded (empty or not: held deliveries are not stalled ones) or a send
    /// last settled.
    public var lastProgress: Date { progress.withLock { $0 } }

    public func run() async throws {
        logger.info("dispatcher started", metadata: ["owner": "\(configuration.owner)"])
        // Subscribed before the first claim, so no announcement falls between the two.
        let announcements = queue.workAvailable()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { listening in
                listening.addTask {
                    for await _ in announcements {
                        self.fanOuts.withLock { $0.mayWait = true }
                        self.signal.wake()
                    }
                }
                await loop()
                listening.cancelAll()
            }
        } onGracefulShutdown: {
            self.signal.stop()
        }
        logger.info("dispatcher stopped", metadata: ["owner": "\(configuration.owner)"])
    }

    /// Claims and sends until stopped; returns when the last send has settled.
    private func loop() async {
        await withDiscardingTaskGroup { sends in
            while !signal.isStopped && !Task.isCancelled {
                let now = clock.now()
                heartbeat.withLock { $0 = now }
                let load = WorkerLoad(concurrency: configuration.concurrency, inFlight: inFlight.withLock { $0 })
                let capacity = configuration.concurrency - load.inFlight.values.reduce(0, +)
                let limit = min(configuration.batchSize, capacity)
                // Deferred fan-outs become deliveries a chunk a loop, so one event to many webhooks
                // never holds the store's writer for long.
                var fanOutsRemain = false
                let askFanOuts = fanOuts.withLock { state in
                    guard state.mayWait || now.timeIntervalSince(state.lastAsked) >= configuration.idlePoll.seconds
                    else { return false }
                    state = (mayWait: false, lastAsked: now)
                    return true
                }
                if askFanOuts {
                    do {
                        let started = DefaultTracerClock.now
                        let progress = try await queue.expandFanOuts()
                        fanOutsRemain = progress.remaining
                        // A span for each part expanded, none for the rounds that found nothing.
                        if progress.created > 0 {
                            let span = InstrumentationSystem.tracer.startSpan("fan_out.expand", at: started)
                            span.attributes["herald.deliveries"] = progress.created
                            span.end()
                        }
                    } catch {
                        logger.error("expanding a fan-out failed", metadata: ["error": "\(error)"])
                    }
                    if fanOutsRemain { fanOuts.withLock { $0.mayWait = true } }
                }
                var claim = Claim(jobs: [], wakeAt: nil)
                if capacity > 0 {
                    do {
                        claim = try await StoreLatency.measure(.claim) {
                            try await queue.claim(
                                ClaimRequest(
                                    owner: configuration.owner, now: now, lease: configuration.lease, limit: limit,
                                    load: load))
                        }
                        progress.withLock { $0 = max($0, now) }
                    } catch {
                        logger.error("claiming deliveries failed", metadata: ["error": "\(error)"])
                    }
                    for webhook in claim.unreadable {
                        logger.error(
                            "a webhook's secrets do not open with this process's keys; its deliveries wait for their lease to end",
                            metadata: ["webhook": "\(webhook.id.text)", "error": "\(webhook.reason)"])
                    }
                }
                for job in claim.jobs {
                    let tenant = job.tenant.id
                    inFlight.withLock { $0[tenant, default: 0] += 1 }
                    sends.addTask {
                        await self.process(job)
                        self.inFlight.withLock { counts in
                            counts[tenant, default: 1] -= 1
                            if counts[tenant] == 0 { counts[tenant] = nil }
                        }
                        self.signal.wake()
                    }
                }
                // A full batch may mean more is due: claim again at once, capacity permitting.
                if capacity > 0, claim.jobs.count == limit { continue }
                if fanOutsRemain {
                    await Task.yield()
                    continue
                }
                // Otherwise a finished send or new work wakes us, or the claim's wake time comes.
                let idleUntil = now.addingTimeInterval(configuration.idlePoll.seconds)
                let wakeAt = capacity > 0 ? min(claim.wakeAt ?? idleUntil, idleUntil) : idleUntil
                await signal.wait(until: wakeAt, on: clock)
            }
        }
    }

    /// Tries `job` once and settles it.
    func process(_ job: DispatchJob) async {
        // Every line of this attempt names the delivery, the attempt and the webhook.
        var logger = self.logger
        logger[metadataKey: "delivery"] = .string(job.delivery.id)
        logger[metadataKey: "attempt"] = .stringConvertible(job.delivery.attempts + 1)
        logger[metadataKey: "webhook"] = .string(job.webhook.id.text)
        let started = clock.now()
        // The attempt continues the trace that took its event in; the receiver gets its traceparent.
        let outcome = await withSpan(
            "delivery.attempt", context: TraceContext.continuing(job.event.traceParent), ofKind: .client
        ) { span in
            span.attributes["herald.delivery.id"] = job.delivery.id
            span.attributes["herald.attempt"] = job.delivery.attempts + 1
            span.attributes["herald.webhook.id"] = job.webhook.id.text
            span.attributes["herald.tenant.id"] = job.tenant.id.text
            span.attributes["herald.event.id"] = job.event.id.text
            span.attributes["herald.event.name"] = job.event.name
            let outcome: AttemptOutcome =
                job.webhook.isActive
                ? await courier.attempt(job, at: started)
                : .inactive
            if let status = outcome.statusCode { span.attributes["http.response.status_code"] = status }
            if let failure = outcome.failure { span.setStatus(SpanStatus(code: .error, message: failure)) }
            return outcome
        }
        let settlement = decision.settle(job, outcome: outcome, startedAt: started, now: clock.now())
        Counter(label: "herald_delivery_attempts_total", dimensions: [("outcome", Self.label(settlement.next))])
            .increment()
        if outcome.durationMs > 0 || outcome.statusCode != nil {
            Timer(label: "herald_delivery_attempt_duration_seconds", preferredDisplayUnit: .seconds)
                .recordMilliseconds(outcome.durationMs)
        }
        logger.debug(
            "delivery attempted",
            metadata: [
                "outcome": "\(Self.label(settlement.next))",
                "status": "\(outcome.statusCode.map(String.init) ?? "none")",
                "duration_ms": "\(outcome.durationMs)",
            ])
        var published: [Event] = []
        if case .disable(let reason) = settlement.effect {
            Counter(label: "herald_webhooks_disabled_total").increment()
            logger.warning("webhook disabled", metadata: ["reason": "\(reason)"])
            published.append(
                OperationalEvents.event("webhook_disabled", webhook: job.webhook, reason: "\(reason)", at: clock.now()))
        }
        do {
            let transitions = try await settlements.submit(settlement)
            let settled = clock.now()
            progress.withLock { $0 = max($0, settled) }
            for transition in transitions {
                let state = transition.opened ? "open" : "closed"
                Counter(label: "herald_circuit_transitions_total", dimensions: [("to", state)]).increment()
                logger.notice(
                    "endpoint circuit \(state)",
                    metadata: ["webhook": "\(transition.webhookId.text)", "tenant": "\(job.tenant.id.text)"])
                if transition.opened, transition.webhookId == job.webhook.id {
                    published.append(
                        OperationalEvents.event(
                            "webhook_circuit_open", webhook: job.webhook,
                            reason:
                                "\(configuration.breaker.threshold) failures in a row; last: \(outcome.failure ?? "failed")",
                            at: clock.now()))
                }
            }
            // Only once the settle holds: a webhook disabled in a transaction that failed is not.
            for event in published {
                do {
                    try await publish(event)
                } catch {
                    logger.error(
                        "publishing an operational event failed",
                        metadata: ["event": "\(event.name)", "error": "\(error)"])
                }
            }
        } catch {
            // The lease runs out and the delivery is claimed again: delivered at least once.
            logger.error("settling a delivery failed", metadata: ["error": "\(error)"])
        }
    }

    /// Settles a group in one transaction; when that fails (a delivery deleted while it was sent
    /// takes its attempt's row with it), each settles alone, so one settlement's failure is its
    /// own and not a reason to send the others again.
    public static func settle(_ group: [Settlement], on queue: Queue) async -> [Result<[CircuitTransition], any Error>]
    {
        do {
            // Each transition is answered to the first settlement of its endpoint.
            var transitions = Dictionary(
                grouping: try await StoreLatency.measure(.settle) { try await queue.settle(group) }, by: \.webhookId)
            return group.map { .success(transitions.removeValue(forKey: $0.webhookId) ?? []) }
        } catch  where group.count > 1 {
            var results: [Result<[CircuitTransition], any Error>] = []
            for settlement in group {
                do {
                    results.append(.success(try await queue.settle([settlement])))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        } catch {
            return [.failure(error)]
        }
    }

    static func label(_ next: DeliveryLifecycle.Next) -> String {
        switch next {
        case .succeeded: "succeeded"
        case .retry: "retry"
        case .failed: "failed"
        }
    }
}

/// How a ``Dispatcher`` works.
public struct DispatcherConfiguration: Sendable {
    /// Sends under way at once.
    public var concurrency: Int
    /// Most deliveries claimed per query.
    public var batchSize: Int
    /// How long a claim holds; a dead worker's rows come back after it.
    public var lease: TimeInterval
    /// The longest sleep with nothing due (leases of other workers expire unannounced).
    public var idlePoll: Duration
    /// This worker's name on its leases.
    public var owner: String
    public var lifecycle: DeliveryLifecycle
    /// When endpoints' circuits open and close.
    public var breaker: CircuitBreaker

    public init(
        concurrency: Int = 64, batchSize: Int = 64, lease: TimeInterval = 60, idlePoll: Duration = .seconds(2),
        owner: String = "herald-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
        lifecycle: DeliveryLifecycle = DeliveryLifecycle(), breaker: CircuitBreaker = CircuitBreaker()
    ) {
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.lease = lease
        self.idlePoll = idlePoll
        self.owner = owner
        self.lifecycle = lifecycle
        self.breaker = breaker
    }
}
