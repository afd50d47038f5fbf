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
