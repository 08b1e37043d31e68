public import Hummingbird
import NIOCore

/// The request context of the web app: Hummingbird's core storage plus the peer's address, and a
/// body limit of ``WebContext/bodyLimit`` bytes.
public struct WebContext: RequestContext {
    /// The largest request body accepted (1 MiB); larger ones get 413.
    public static let bodyLimit = 1 << 20

    /// Hummingbird's per-request storage (logger, route parameters, endpoint path).
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address as the socket reports it; empty when unknown (e.g. in router tests).
    public var peerAddress: String

    /// Makes the context of one request from its channel.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress ?? ""
    }

    /// The request body limit Hummingbird's own helpers use.
    public var maxUploadSize: Int { Self.bodyLimit }
}
