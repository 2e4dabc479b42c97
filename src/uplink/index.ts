export { Uplink, type UplinkOptions, type UplinkEvents, type UplinkStats } from './uplink';
export { uplinkConfig, type UplinkConfig } from './config';
export { Topics, dataFilter } from './topics';
export { MessageEncoder, decodeMessage, uplinkMessage, type UplinkMessage } from './codec';
export { downlinkCommand, signCommand, type DownlinkCommand, type CommandHandler, type CommandReply } from './downlink';
