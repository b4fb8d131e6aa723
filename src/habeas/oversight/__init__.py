"""Independent oversight: inspections, findings and grievances (DESIGN.md §9;
Mandela Rules 56–57, 83–85)."""
