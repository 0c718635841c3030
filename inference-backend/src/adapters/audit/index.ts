export { auditDirIn, AuditTrailDamagedError, FileAuditTrail, type FileAuditTrailOptions } from './fileAuditTrail';
export { auditPoint } from './auditPoint';
export { AUDIT_FILE, GENESIS_HASH, InvalidAuditEntryError } from './chain';
export { readAuditEntries, type AuditFilter, type AuditPage } from './query';
export { AuditTrailMissingError, verifyAuditTrail, type AuditVerification } from './verify';
