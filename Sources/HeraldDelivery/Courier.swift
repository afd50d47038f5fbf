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

    /// Sends `job` as message `job.delivery.id`, stamped `timestamp` and signed with `secrets`.
    public func attempt(_ job: DispatchJob, secrets: [String], at timestamp: Date) async -> AttemptOutcome {
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
                customHeaders: job.webhook.headers, secrets: secrets, messageId: job.delivery.id,
                timestamp: timestamp, body: DeliveryBody.render(job))
        } catch {
            return .unsendable(error.description)
        }
        return await sender.send(request, to: target)
    }
}
