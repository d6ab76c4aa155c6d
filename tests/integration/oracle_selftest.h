/*
 * oracle_selftest.h - checks of the oracle against the policy's own
 * sentences (oracle_selftest.c); failures are counted by check.h.
 */
#ifndef IRB_ORACLE_SELFTEST_H
#define IRB_ORACLE_SELFTEST_H

void oracle_selftest(void);

#endif
