export * from './types';
export { AlarmBook, type ActiveAlarm } from './alarms';
export { AnomalyHealth, PersistentCondition, RulHealth } from './health-state';
export { HealthTracker } from './tracker';
export { HealthBoard, AckError, type AckResult, type Acknowledger, type BoardAsset, type BoardHealth, type BoardSnapshot, type HealthBoardEvents } from './health-board';
