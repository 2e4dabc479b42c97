export { EmbeddedBroker, type EmbeddedBrokerOptions, type EmbeddedBrokerStats } from './embedded';
export { embeddedBrokerConfig, type EmbeddedBrokerConfig } from './config';
