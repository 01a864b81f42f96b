# auth/: GBA part (Milenage, KDF, BSF, Zn, NAF key cache, GUSS) and the GBA test UE.
