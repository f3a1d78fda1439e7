export const DML_VERSION = "0.1.0";
