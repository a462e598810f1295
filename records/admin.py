# Patients are kept through the records screens (policy + trail), not the admin.
