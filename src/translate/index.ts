// The translation layer between the legacy Communication framework and Broker: values, events and
// their routing, peer status, logs. Pure tables and small stateful helpers; no sockets.
export * from './errors.ts';
export * from './drops.ts';
export { nsToSeconds, secondsToNs } from './time.ts';
export * from './type-syntax.ts';
export { TypeRegistry, TypeDeclarationError, type TypeDeclarations, type FieldDeclaration, type EnumNameDeclaration } from './type-registry.ts';
export { typesConfigSchema, typeRegistryFromConfig, type TypesConfig, type TypesConfigInput } from './type-config.ts';
export { VALUE_ROWS, legacyKey, rowForLegacy, toBroker, toLegacy, type LegacyTypeKey, type ValueContext, type ValueRow } from './values.ts';
export { inferLegacyType } from './infer.ts';
export { brokerEventToLegacy, legacyArgsToBroker, legacyEventToBroker, type ToBrokerEventOptions } from './events.ts';
export * from './router.ts';
export * from './status.ts';
export * from './peer-registry.ts';
export * from './metrics.ts';
export * from './log-serial.ts';
export * from './logs.ts';
export * from './translator.ts';
