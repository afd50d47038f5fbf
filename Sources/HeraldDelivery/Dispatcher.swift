import Foundation
import HeraldCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Claims due deliveries in batches, tries them concurrently (bounded) and settles each as
/// ``DeliveryDecision`` says. Woken when the queue announces work or a send frees a slot;
/// otherwise it sleeps until the next delivery is due. On graceful shutdown it claims nothing more
/// and lets the sends under way finish.
public final class Dispatcher<Queue: DeliveryQueue>: Service, Sendable {
    let queue: Queue
    let courier: Courier
    let configuration: DispatcherConfiguration
    let decision: DeliveryDecision
    let clock: HeraldClock
    let logger: Logger
    private let signal = WakeSignal()
    private let inFlight = Mutex(0)
    /// Not ready until the loop has gone round once.
    private let heartbeat = Mutex(Date.distantPast)

    public init(
        queue: Queue, courier: Courier, configuration: DispatcherConfiguration, clock: HeraldClock = .system,
        logger: Logger
    ) {
        self.queue = queue
        self.courier = courier
        self.configuration = configuration
        self.decision = DeliveryDecision(lifecycle: configuration.lifecycle, owner: configuration.owner)
        self.clock = clock
        self.logger = logger
    }

    /// When the loop last went round (for `/ready`).
    public var lastHeartbeat: Date { heartbeat.withLock { $0 } }

    public func run() async throws {
        logger.info("dispatcher started", metadata: ["owner": "\(configuration.owner)"])
        // Subscribed before the first claim, so no announcement falls between the two.
        let announcements = queue.workAvailable()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { listening in
                listening.addTask {
                    for await _ in announcements { self.signal.wake() }
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
                let capacity = configuration.concurrency - inFlight.withLock { $0 }
                let limit = min(configuration.batchSize, capacity)
                var claimed: [DispatchJob] = []
                if capacity > 0 {
                    do {
                        claimed = try await queue.claimDue(
                            owner: configuration.owner, now: now, lease: configuration.lease, limit: limit)
                    } catch {
                        logger.error("claiming deliveries failed", metadata: ["error": "\(error)"])
                    }
                }
                for job in claimed {
                    inFlight.withLock { $0 += 1 }
                    sends.addTask {
                        await self.process(job)
                        self.inFlight.withLock { $0 -= 1 }
                        self.signal.wake()
                    }
                }
                // A full batch may mean more is due: claim again at once, capacity permitting.
                if capacity > 0, claimed.count == limit { continue }
                // Saturated: a finished send wakes us; otherwise sleep until the next is due.
                let idleUntil = now.addingTimeInterval(configuration.idlePoll.seconds)
                await signal.wait(until: capacity > 0 ? await nextWake(idleUntil) : idleUntil, on: clock)
            }
        }
    }

    /// When the next delivery comes due, but no later than `latest`.
    private func nextWake(_ latest: Date) async -> Date {
        guard let next = try? await queue.nextDueDate() else { return latest }
        // Due already (it came due since the claim, or claiming fails): look again shortly, not in a spin.
        return min(max(next, clock.now().addingTimeInterval(0.005)), latest)
    }

    /// Tries `job` once and settles it.
    func process(_ job: DispatchJob) async {
        let started = clock.now()
        let outcome =
            job.webhook.isActive
            ? await courier.attempt(job, at: started)
            : .inactive
        let settlement = decision.settle(job, outcome: outcome, startedAt: started, now: clock.now())
        Counter(label: "herald_delivery_attempts_total", dimensions: [("outcome", Self.label(settlement.next))])
            .increment()
        if case .disable(let reason) = settlement.effect {
            logger.warning("webhook disabled", metadata: ["webhook": "\(job.webhook.id.text)", "reason": "\(reason)"])
        }
        do {
            try await queue.settle([settlement])
        } catch {
            // The lease runs out and the delivery is claimed again: delivered at least once.
            logger.error(
                "settling a delivery failed", metadata: ["delivery": "\(job.delivery.id)", "error": "\(error)"])
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

    public init(
        concurrency: Int = 64, batchSize: Int = 64, lease: TimeInterval = 60, idlePoll: Duration = .seconds(2),
        owner: String = "herald-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
        lifecycle: DeliveryLifecycle = DeliveryLifecycle()
    ) {
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.lease = lease
        self.idlePoll = idlePoll
        self.owner = owner
        self.lifecycle = lifecycle
    }
}
