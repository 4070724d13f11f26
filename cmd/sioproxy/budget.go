package main

import (
	"github.com/sioproxy/sioproxy/internal/event"
	"github.com/sioproxy/sioproxy/internal/membudget"
)

// budget is --mem-budget, or the default for commands that do not parse
// it (demo, replay).
func (c config) budget() membudget.Budget { return membudget.New(c.MemBudget.Total) }

func eventSize(e event.Event) int { return e.MemSize() }
