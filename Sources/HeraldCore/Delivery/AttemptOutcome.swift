import Foundation

/// What happened when a claimed delivery was tried.
public enum AttemptOutcome: Sendable, Hashable {
    /// The webhook is off: nothing was sent.
    case inactive
    /// The target policy refused the callback (or its name does not resolve now): nothing was sent.
    case refused(TargetRefusalError)
    /// The request could not be made from the webhook (its URL, say): nothing was sent.
    case unsendable(String)
    /// The endpoint answered.
    case answered(statusCode: Int, body: String?, retryAfter: TimeInterval?, durationMs: Int)
    /// No answer came: refused connection, reset, timeout.
    case transportError(String, durationMs: Int)

    public var statusCode: Int? {
        if case .answered(let code, _, _, _) = self { return code }
        return nil
    }

    public var responseBody: String? {
        if case .answered(_, let body, _, _) = self { return body }
        return nil
    }

    public var durationMs: Int {
        switch self {
        case .answered(_, _, _, let ms), .transportError(_, let ms): ms
        case .inactive, .refused, .unsendable: 0
        }
    }

    /// Why no answer came; nil when the endpoint answered.
    public var failure: String? {
        switch self {
        case .inactive: "webhook is inactive"
        case .refused(let refusal): refusal.description
        case .unsendable(let reason), .transportError(let reason, _): reason
        case .answered: nil
        }
    }

    /// ``failure`` as the attempt log of `webhook`'s delivery words it.
    public func error(webhook: Webhook) -> String? {
        switch self {
        case .inactive: "webhook is inactive\(webhook.disabledReason.map { ": \($0)" } ?? "")"
        case .refused(let refusal): "target policy: \(refusal)"
        default: failure
        }
    }
}

extension TargetRefusalError {
    /// Whether asking again later cannot help: every refusal but a name that does not resolve now.
    public var isFinal: Bool {
        if case .unresolvable = self { return false }
        return true
    }
}
