export * from './types';
export { AlarmBook, type ActiveAlarm } from './alarms';
export { AnomalyHealth, PersistentCondition, RulHealth } from './health-state';
export { HealthTracker } from './tracker';
