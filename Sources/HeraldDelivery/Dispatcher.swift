import Foundation
import HeraldCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Claims due deliveries in batches, sends them concurrently (bounded), records each attempt and
/// settles the delivery. Woken at once by new deliveries; otherwise it sleeps until the next is due.
public final class Dispatcher<Queue: DeliveryQueue>: Service, Sendable {
    let queue: Queue
    let sender: HTTPSender
    let targets: DeliveryTargets
    let signal: WakeSignal
    let configuration: DispatcherConfiguration
    let logger: Logger
    private let inFlight = Mutex(0)
    private let heartbeat = Mutex(Date.distantPast)

    public init(
        queue: Queue, sender: HTTPSender, targets: DeliveryTargets, signal: WakeSignal,
        configuration: DispatcherConfiguration, logger: Logger
    ) {
        self.queue = queue
        self.sender = sender
        self.targets = targets
        self.signal = signal
        self.configuration = configuration
        self.logger = logger
    }

    /// When the loop last went round (for `/ready`).
    public var lastHeartbeat: Date { heartbeat.withLock { $0 } }

    public func run() async throws {
        logger.info("dispatcher started", metadata: ["owner": "\(configuration.owner)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !signal.isStopped && !Task.isCancelled {
                    heartbeat.withLock { $0 = Date() }
                    let capacity = configuration.concurrency - inFlight.withLock { $0 }
                    var claimed: [DispatchJob] = []
                    if capacity > 0 {
                        do {
                            claimed = try await queue.claimDue(
                                owner: configuration.owner, now: Date(), lease: configuration.lease,
                                limit: min(configuration.batchSize, capacity))
                        } catch {
                            logger.error("claiming deliveries failed", metadata: ["error": "\(error)"])
                        }
                    }
                    for job in claimed {
                        inFlight.withLock { $0 += 1 }
                        group.addTask {
                            await self.process(job)
                            self.inFlight.withLock { $0 -= 1 }
                            self.signal.wake()
                        }
                    }
                    // A full batch may mean more is due: claim again at once, capacity permitting.
                    if capacity > 0, claimed.count == min(configuration.batchSize, capacity) { continue }
                    // Saturated: a finished send wakes us; otherwise sleep until the next is due.
                    await signal.wait(timeout: capacity > 0 ? await sleepBudget() : configuration.idlePoll)
                }
            }
        } onGracefulShutdown: {
            self.signal.stop()
        }
        logger.info("dispatcher stopped", metadata: ["owner": "\(configuration.owner)"])
    }

    /// Until the next delivery comes due, at most `idlePoll`.
    private func sleepBudget() async -> Duration {
        guard let next = try? await queue.nextDueDate() else { return configuration.idlePoll }
        let wait = next.timeIntervalSinceNow
        if wait <= 0 { return .milliseconds(5) }
        return min(configuration.idlePoll, .milliseconds(Int64(wait * 1000) + 1))
    }

    func process(_ job: DispatchJob) async {
        let number = job.delivery.attempts + 1
        let started = Timestamp.now()
        let attempt: DeliveryAttempt
        let outcome: (next: DeliveryLifecycle.Next, effect: DeliveryLifecycle.WebhookEffect)
        if !job.webhook.isActive {
            attempt = DeliveryAttempt(
                deliveryId: job.delivery.id, number: number, startedAt: started, durationMs: 0, statusCode: nil,
                responseBody: nil, error: "webhook is inactive\(job.webhook.disabledReason.map { ": \($0)" } ?? "")")
            outcome = (.failed, .failing(since: job.webhook.failingSince ?? started))
        } else {
            var result: HTTPSender.Result
            var refused = false
            do {
                let target = try await targets.check(job.webhook.callbackURL)
                let request = try OutboundRequest.build(
                    callbackURL: job.webhook.callbackURL, requestParams: job.webhook.requestParams,
                    customHeaders: job.webhook.headers, secrets: job.webhook.signingSecrets(at: started).map(\.value),
                    messageId: job.delivery.id, timestamp: started, body: DeliveryBody.render(job))
                result = await sender.send(request, to: target)
            } catch let error as TargetRefusalError {
                if case .unresolvable = error {} else { refused = true }
                result = HTTPSender.Result(
                    statusCode: nil, body: nil, error: "target policy: \(error)", retryAfter: nil, durationMs: 0)
            } catch {
                result = HTTPSender.Result(
                    statusCode: nil, body: nil, error: "\(error)", retryAfter: nil, durationMs: 0)
            }
            attempt = DeliveryAttempt(
                deliveryId: job.delivery.id, number: number, startedAt: started, durationMs: result.durationMs,
                statusCode: result.statusCode, responseBody: result.body, error: result.error)
            let verdict =
                refused
                ? .final : DeliveryLifecycle.verdict(statusCode: result.statusCode, retryAfter: result.retryAfter)
            outcome = configuration.lifecycle.next(
                after: number, verdict: verdict, policy: job.webhook.effectiveRetryPolicy,
                webhookFailingSince: job.webhook.failingSince, now: Timestamp.now())
        }
        Counter(label: "herald_delivery_attempts_total", dimensions: [("outcome", Self.label(outcome.next))])
            .increment()
        if case .disable(let reason) = outcome.effect {
            logger.warning("webhook disabled", metadata: ["webhook": "\(job.webhook.id.text)", "reason": "\(reason)"])
        }
        do {
            try await queue.settle([
                Settlement(
                    deliveryId: job.delivery.id, webhookId: job.webhook.id, leaseOwner: configuration.owner,
                    attempt: attempt, next: outcome.next, effect: outcome.effect)
            ])
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
    /// The longest sleep with nothing due (other processes may add work; leases expire).
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
