// Fixed texts and numbers of the WebSocket JSON API v1 (spec §3), as Broker's and Zeek 8's
// servers put them on the wire. Kept in one place so a difference found in a new capture is a
// one-line change.

/** The only path either server accepts (exact match, no query string). */
export const JSON_V1_PATH = '/v1/messages/json';

/** Zeek 8's customary `Cluster::listen_websocket` port. */
export const DEFAULT_WEBSOCKET_PORT = 27759;

/** `broker::version::string()` of the captured server. */
export const BROKER_VERSION = '2.8.0-dev';

/** Zeek 8's rule for the `X-Application-Name` request header. */
export const APPLICATION_NAME_PATTERN = /^[-/_.=:*@a-zA-Z0-9]+$/;
export const APPLICATION_NAME_HEADER = 'x-application-name';

/** Broker: body of the 400 answer to any other path (sent twice; Content-Length covers one copy). */
export const BROKER_BAD_PATH_BODY = 'caf::sec::invalid_argument("invalid path; try /v1/messages/json")';

/** Broker: Close frame after a first message that is not an array of strings. */
export const BROKER_BAD_SUBSCRIPTION_CLOSE = { code: 1011, reason: 'caf::sec::disposed("destroyed producer_resource without opening it")' } as const;

/** Zeek 8: error replies for a bad subscription message (the client then gets no ack). */
export const ZEEK_SUBSCRIPTIONS_NOT_ARRAY = 'subscriptions not an array';
export const ZEEK_SUBSCRIPTION_NOT_STRING = 'individual subscription not a string';
/** Zeek 8: a data message without a topic is refused instead of being published on "". */
export const ZEEK_NO_TOPIC = 'no topic in top-level JSON object';
/** Zeek 8: a wrong path is upgraded, answered with this error, then closed with 1008. */
export const ZEEK_INVALID_URI = { code: 'invalid_uri', reason: 'Invalid URI - use /v1/messages/json', closeCode: 1008 } as const;

/** Refusal of an `X-Application-Name` that breaks the pattern (HTTP 400 before the upgrade). */
export const INVALID_APPLICATION_NAME_BODY = 'invalid X-Application-Name; expected [-/_.=:*@a-zA-Z0-9]+';

/** Error code of every per-message failure (Broker's `ec::deserialization_failed`). */
export const DESERIALIZATION_FAILED = 'deserialization_failed';

/** RFC 6455 status codes the server and client use. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** Broker's `disconnect` overflow policy ends the connection; 1013 "try again later" says why. */
  TRY_AGAIN_LATER: 1013,
} as const;
