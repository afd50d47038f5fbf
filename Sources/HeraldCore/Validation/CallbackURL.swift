import Foundation

/// The rules for a webhook's `callback_url`: an absolute http(s) URL with a host.
public enum CallbackURL {
    public static let maxLength = 2048

    /// The message for a URL Herald refuses, or nil when it is acceptable.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "can't be blank" }
        if text.count > maxLength { return "is too long (at most \(maxLength) characters)" }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "must not contain spaces or control characters"
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "must be an absolute http or https URL"
        }
        guard scheme == "http" || scheme == "https" else { return "must use http or https" }
        guard let host = components.host, !host.isEmpty else { return "must name a host" }
        if components.fragment != nil { return "must not have a fragment" }
        return nil
    }
}
