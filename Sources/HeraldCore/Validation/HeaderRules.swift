/// What custom headers a webhook may carry.
public enum HeaderRules {
    /// Headers Herald sets itself or that would break the HTTP exchange (lowercased).
    public static let reserved: Set<String> = [
        "host", "content-length", "content-type", "transfer-encoding", "connection", "keep-alive", "upgrade",
        "te", "trailer", "expect", "proxy-connection",
    ]

    public static let reservedPrefixes = ["webhook-"]

    /// The message for a header Herald refuses, or nil.
    public static func problem(name: String, value: String) -> String? {
        if name.isEmpty { return "has an empty header name" }
        if !name.unicodeScalars.allSatisfy(isTokenCharacter) {
            return "header name '\(name.prefix(64))' is not a valid HTTP token"
        }
        let lower = name.lowercased()
        if reserved.contains(lower) || reservedPrefixes.contains(where: lower.hasPrefix) {
            return "header '\(name)' is set by Herald and cannot be overridden"
        }
        if value.unicodeScalars.contains(where: { $0 != "\t" && $0.properties.generalCategory == .control }) {
            return "header '\(name)' value must not contain control characters (TAB aside)"
        }
        return nil
    }

    /// RFC 9110 `tchar`.
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": true
        default: false
        }
    }
}
