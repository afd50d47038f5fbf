import Foundation
import HeraldCore

/// Tries one delivery: renders its body in the webhook's dialect, checks the target, signs and
/// sends. The dispatcher and `POST /webhooks/test` share it, so a test goes out exactly as a
/// delivery would.
public struct Courier: Sendable {
    public let sender: HTTPSender
    public let targets: DeliveryTargets

    public init(sender: HTTPSender, targets: DeliveryTargets) {
        self.sender = sender
        self.targets = targets
    }

    /// Sends `job` as message `job.delivery.id`, stamped `timestamp` and signed with every secret of
    /// its webhook still valid then.
    /// Name lookup, connect, request, headers and body all run under one deadline (the request
    /// timeout); at it the attempt is cancelled and ends as a timeout.
    public func attempt(_ job: DispatchJob, at timestamp: Date) async -> AttemptOutcome {
        let started = ContinuousClock.now
        let outcome = await withDeadline(sender.timeouts.total) {
            await self.attemptUnbounded(job, at: timestamp)
        }
        return outcome
            ?? .transportError(
                HTTPSender.timeoutError, durationMs: (ContinuousClock.now - started).milliseconds)
    }

    func attemptUnbounded(_ job: DispatchJob, at timestamp: Date) async -> AttemptOutcome {
        let target: CheckedTarget
        do {
            target = try await targets.check(job.webhook.callbackURL)
        } catch {
            return .refused(error)
        }
        let request: OutboundRequest
        do {
            request = try OutboundRequest.build(
                callbackURL: job.webhook.callbackURL, requestParams: job.webhook.requestParams,
                customHeaders: job.webhook.headers, secrets: job.webhook.signingSecrets(at: timestamp).map(\.value),
                messageId: job.delivery.id,
                timestamp: timestamp, body: DeliveryBody.render(job))
        } catch {
            return .unsendable(error.description)
        }
        return await sender.send(request, to: target)
    }
}

/// Runs `operation` until it ends or `limit` passes, whichever is first; then cancels it (it must
/// stop promptly when cancelled) and answers nil if the limit came first. When the caller itself is
/// cancelled, the operation's own answer is returned, not a timeout.
func withDeadline<Value: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async -> Value) async
    -> Value?
{
    await withTaskGroup(of: DeadlineRace<Value>.self) { group in
        group.addTask { .done(await operation()) }
        group.addTask {
            do {
                try await Task.sleep(for: limit)
                return .timedOut
            } catch {
                return .cancelled
            }
        }
        defer { group.cancelAll() }
        while let next = await group.next() {
            switch next {
            case .done(let value): return value
            case .timedOut: return nil
            case .cancelled: continue
            }
        }
        return nil
    }
}

/// Which of an operation and its deadline ended first.
private enum DeadlineRace<Value: Sendable>: Sendable {
    case done(Value)
    case timedOut
    case cancelled
}
